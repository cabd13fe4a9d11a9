package dev.databaseunit.operator.maintenance;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A run's status write while someone changes the window's spec: applied to the fresh copy, not failed (409). */
@WithLocalServices
class WindowStatusStoreIT {

  @Test
  void aSpecChangeDuringAStatusWriteIsReadAgainNotAFailedRun(KubeCluster cluster) {
    try (var client = cluster.newClient(); var other = cluster.newClient()) {
      String namespace = cluster.createNamespace(client, "window-store");
      client.resource(client.getKubernetesSerialization().unmarshal("""
          apiVersion: databaseunit.dev/v1alpha1
          kind: MaintenanceWindow
          metadata: {name: weekly}
          spec: {databaseUnit: shop, schedule: "0 0 3 ? * SUN", duration: 2h, tasks: [UpdateStatistics]}
          """, MaintenanceWindow.class)).inNamespace(namespace).create();
      var calls = new AtomicInteger();
      var written = new WindowStatusStore(client).update(namespace, "weekly", status -> {
        if (calls.incrementAndGet() == 1) {
          // Between the store's read and its write, a person edits the spec: the write's resourceVersion is stale.
          other.resources(MaintenanceWindow.class).inNamespace(namespace).withName("weekly")
              .edit(w -> {
                w.getMetadata().setLabels(java.util.Map.of("edited", "yes"));
                return w;
              });
        }
        return status.withPhase("Running");
      });
      assertThat(calls).as("applied again to the fresh copy").hasValue(2);
      assertThat(written.getStatus().phase()).isEqualTo("Running");
      var stored = client.resources(MaintenanceWindow.class).inNamespace(namespace).withName("weekly").get();
      assertThat(stored.getStatus().phase()).isEqualTo("Running");
      assertThat(stored.getMetadata().getLabels()).containsEntry("edited", "yes");
    }
  }
}
