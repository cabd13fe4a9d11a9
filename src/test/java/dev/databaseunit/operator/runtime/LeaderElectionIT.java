package dev.databaseunit.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Two operator replicas on a real API server: one leads, and when it stops the other takes over the work. */
@WithLocalServices
class LeaderElectionIT {

  @Test
  void theStandbyTakesOverWhenTheLeaderStops(KubeCluster cluster, TestDatabase db) {
    try (KubernetesClient client = cluster.newClient()) {
      String namespace = cluster.createNamespace(client, "leader");
      var units = new UnitFixtures(client, namespace, Duration.ofSeconds(60));
      client.resource(units.credentialsSecret("db", db)).create();
      var first = replica(client, namespace, "replica-a");
      var second = replica(client, namespace, "replica-b");
      first.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> "replica-a".equals(holder(client, namespace)));
      second.start();
      try {
        client.resource(units.unit(units.unitYaml("before", "db", db))).create();
        units.awaitCondition("before", Conditions.READY, "True");
        assertThat(holder(client, namespace)).isEqualTo("replica-a");

        first.stop();
        await().atMost(Duration.ofSeconds(60)).until(() -> "replica-b".equals(holder(client, namespace)));
        client.resource(units.unit(units.unitYaml("after", "db", db))).create();
        units.awaitCondition("after", Conditions.READY, "True");
      } finally {
        second.stop();
      }
    }
  }

  private static DatabaseUnitOperator replica(KubernetesClient client, String namespace, String identity) {
    return DatabaseUnitOperator.create(client, new SimpleMeterRegistry(),
        new OperatorSettings(Set.of(namespace), true, namespace, 0, false, identity), TestClock.startingNow());
  }

  private static String holder(KubernetesClient client, String namespace) {
    Lease lease = client.leases().inNamespace(namespace).withName(OperatorSettings.LEASE_NAME).get();
    return lease == null ? null : lease.getSpec().getHolderIdentity();
  }
}
