package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowStatus;
import dev.databaseunit.operator.common.Backoff;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.function.UnaryOperator;

/**
 * Status writes of MaintenanceWindows, always as a change applied to the freshest copy (a run writes many times
 * while the reconciler's copy ages). Nothing else writes the status of a window whose run is underway here, but a
 * person (or kubectl dbu) may change its spec meanwhile, which moves the resourceVersion the write was based on:
 * a conflict re-reads the window and applies the change again.
 */
final class WindowStatusStore {
  /** A conflict is retried at once: the change is applied to the copy just read, so waiting gains nothing. */
  static final Backoff CONFLICTS = Backoff.fixed(Duration.ZERO, 5);
  private final KubernetesClient client;

  WindowStatusStore(KubernetesClient client) {
    this.client = client;
  }

  MaintenanceWindow update(String namespace, String name, UnaryOperator<MaintenanceWindowStatus> change) {
    for (int attempt = 1; ; attempt++) {
      try {
        return client.resources(MaintenanceWindow.class).inNamespace(namespace).withName(name).editStatus(window -> {
          MaintenanceWindowStatus current = window.getStatus() != null ? window.getStatus() : MaintenanceWindowStatus.empty();
          window.setStatus(change.apply(current));
          return window;
        });
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || !CONFLICTS.mayRetry(attempt)) {
          throw e;
        }
      }
    }
  }
}
