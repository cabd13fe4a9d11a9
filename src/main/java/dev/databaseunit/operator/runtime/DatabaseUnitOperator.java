package dev.databaseunit.operator.runtime;

import dev.databaseunit.operator.databaseunit.DatabaseUnitReconciler;
import dev.databaseunit.operator.events.EventRecorder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;

/** Builds the JOSDK Operator with every reconciler of this project; used by Main, the local stack and tests. */
public final class DatabaseUnitOperator {
  private DatabaseUnitOperator() {}

  public static Operator create(KubernetesClient client, MeterRegistry registry, OperatorSettings settings, Clock clock) {
    var operator = new Operator(o -> {
      o.withKubernetesClient(client)
          .withCloseClientOnStop(false)
          .withMetrics(MicrometerMetrics.newPerResourceCollectingMicrometerMetricsBuilder(registry).build())
          .withStopOnInformerErrorDuringStartup(true);
      if (settings.leaderElection()) {
        o.withLeaderElectionConfiguration(new LeaderElectionConfiguration(OperatorSettings.LEASE_NAME,
            settings.leaseNamespace(), LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE,
            LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE, LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE,
            null, null, settings.exitOnLostLeadership()));
      }
    });
    var events = new EventRecorder(client, clock);
    operator.register(new DatabaseUnitReconciler(events, clock), c -> {
      if (!settings.watchNamespaces().isEmpty()) {
        c.settingNamespaces(settings.watchNamespaces());
      }
    });
    return operator;
  }
}
