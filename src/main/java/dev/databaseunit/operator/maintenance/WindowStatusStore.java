package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.function.UnaryOperator;

/**
 * Status writes of MaintenanceWindows, always as a change applied to the freshest copy (a run writes many times
 * while the reconciler's copy ages). Nothing else writes the status of a window whose run is underway here.
 */
final class WindowStatusStore {
  private final KubernetesClient client;

  WindowStatusStore(KubernetesClient client) {
    this.client = client;
  }

  MaintenanceWindow update(String namespace, String name, UnaryOperator<MaintenanceWindowStatus> change) {
    return client.resources(MaintenanceWindow.class).inNamespace(namespace).withName(name).editStatus(window -> {
      MaintenanceWindowStatus current = window.getStatus() != null ? window.getStatus() : MaintenanceWindowStatus.empty();
      window.setStatus(change.apply(current));
      return window;
    });
  }
}
