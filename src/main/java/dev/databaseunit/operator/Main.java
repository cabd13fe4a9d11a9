package dev.databaseunit.operator;

import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.ManagementServer;
import dev.databaseunit.operator.runtime.OperatorSettings;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The operator process: reconcilers under leader election, plus health and metrics endpoints. */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) throws IOException {
    var settings = OperatorSettings.fromEnvironment(System.getenv());
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    var client = new KubernetesClientBuilder().build();
    var operator = DatabaseUnitOperator.create(client, registry, settings, Clock.systemUTC());
    var management = ManagementServer.start(settings.managementPort(), operator.operator(), registry);
    Runtime.getRuntime().addShutdownHook(new Thread(management::close, "management-shutdown"));
    Runtime.getRuntime().addShutdownHook(new Thread(operator::stop, "operator-shutdown"));
    operator.start();
    log.info("DatabaseUnit operator started; namespaces={}, leaderElection={}, management port {}",
        settings.watchNamespaces().isEmpty() ? "all" : settings.watchNamespaces(), settings.leaderElection(), management.port());
  }
}
