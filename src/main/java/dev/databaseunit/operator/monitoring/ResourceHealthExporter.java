package dev.databaseunit.operator.monitoring;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.GdprRequest;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * Keeps {@link ResourceHealthGauges} in step with the Ready and Degraded conditions of every DatabaseUnit,
 * BackupPolicy, MaintenanceWindow and GdprRequest the operator watches, whichever controller wrote them, so
 * alerts and dashboards see what kubectl and Argo CD see.
 */
public final class ResourceHealthExporter implements AutoCloseable {
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();

  private ResourceHealthExporter() {}

  /** @param namespaces the watched namespaces; empty for all */
  public static ResourceHealthExporter start(KubernetesClient client, Set<String> namespaces, ResourceHealthGauges gauges) {
    var exporter = new ResourceHealthExporter();
    exporter.watch(client, namespaces, gauges, DatabaseUnit.class, u -> u.getStatus() == null ? null : u.getStatus().conditions());
    exporter.watch(client, namespaces, gauges, BackupPolicy.class, p -> p.getStatus() == null ? null : p.getStatus().conditions());
    exporter.watch(client, namespaces, gauges, MaintenanceWindow.class, w -> w.getStatus() == null ? null : w.getStatus().conditions());
    exporter.watch(client, namespaces, gauges, GdprRequest.class, r -> r.getStatus() == null ? null : r.getStatus().conditions());
    return exporter;
  }

  private <R extends CustomResource<?, ?>> void watch(KubernetesClient client, Set<String> namespaces, ResourceHealthGauges gauges,
      Class<R> type, Function<R, List<Condition>> conditions) {
    ResourceEventHandler<R> handler = new ResourceEventHandler<>() {
      @Override
      public void onAdd(R resource) {
        update(resource);
      }

      @Override
      public void onUpdate(R before, R after) {
        update(after);
      }

      @Override
      public void onDelete(R resource, boolean finalStateUnknown) {
        gauges.remove(resource.getKind(), resource.getMetadata().getNamespace(), resource.getMetadata().getName());
      }

      private void update(R resource) {
        List<Condition> list = conditions.apply(resource);
        gauges.set(resource.getKind(), resource.getMetadata().getNamespace(), resource.getMetadata().getName(),
            list != null && Conditions.isTrue(list, Conditions.READY), list != null && Conditions.isTrue(list, Conditions.DEGRADED));
      }
    };
    if (namespaces.isEmpty()) {
      informers.add(client.resources(type).inAnyNamespace().inform(handler));
    } else {
      for (String namespace : namespaces) {
        informers.add(client.resources(type).inNamespace(namespace).inform(handler));
      }
    }
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}
