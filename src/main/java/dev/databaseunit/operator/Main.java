package dev.databaseunit.operator;

import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.ManagementServer;
import dev.databaseunit.operator.runtime.OperatorSettings;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The operator process: reconcilers under leader election, plus health and metrics endpoints.
 *
 * <p>SIGTERM (Kubernetes stopping the pod) and SIGINT (Ctrl-C) are an orderly stop: the one shutdown hook closes the
 * endpoints, stops the reconcilers (giving up the Lease at once, so a standby takes over without waiting for it to
 * expire) and closes what they shared, then the process exits 0. Any other exit (lost leadership exits 1) runs the same
 * hook. The hook flushes the log last, which is why log4j2.xml turns log4j's own shutdown hook off.
 */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) throws IOException {
    run(System.getenv(), Clock.systemUTC());
  }

  /** The process on a given clock (tests run it on theirs, in a JVM of its own). */
  public static void run(Map<String, String> environment, Clock clock) throws IOException {
    var settings = OperatorSettings.fromEnvironment(environment);
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    var client = new KubernetesClientBuilder().build();
    var operator = DatabaseUnitOperator.create(client, registry, settings, clock);
    var management = ManagementServer.start(settings.managementPort(), operator.operator(), registry);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("DatabaseUnit operator stopping");
      management.close();
      operator.stop();
      client.close();
      log.info("DatabaseUnit operator stopped");
      LogManager.shutdown();
    }, "operator-shutdown"));
    // Without a handler of ours the JVM runs the hooks on these signals too, but then exits 128 + the signal number.
    for (String signal : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(signal), s -> System.exit(0));
    }
    operator.start();
    log.info("DatabaseUnit operator started; namespaces={}, leaderElection={}, management port {}",
        settings.watchNamespaces().isEmpty() ? "all" : settings.watchNamespaces(), settings.leaderElection(), management.port());
  }
}
