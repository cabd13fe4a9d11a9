package dev.databaseunit.operator.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator process (Main, in a JVM of its own, with the production logging configuration) stopped the way Kubernetes
 * stops a pod, with SIGTERM, while it has a Ready unit with its database pool and informers running: it exits 0 and its
 * output holds no stack trace and ends with the stop. Before, with leader election (the chart's default) it hung in its
 * shutdown hook until killed (JOSDK's exit-on-stop-leading called System.exit from inside the running shutdown), and
 * without it exited 143 with log4j already shut down, so the stop was never logged.
 */
@WithLocalServices
class OrderlyShutdownIT {

  @ParameterizedTest(name = "leader election {0}")
  @ValueSource(booleans = {true, false})
  void sigtermEndsTheOperatorWithExitCodeZeroAndNoStackTrace(boolean leaderElection, KubeCluster cluster, TestDatabase db,
      @TempDir Path dir) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, cluster.kubeconfigYaml());
    Path log = dir.resolve("operator.log");
    try (KubernetesClient client = cluster.newClient()) {
      String namespace = cluster.createNamespace(client, "shutdown");
      var units = new UnitFixtures(client, namespace, Duration.ofSeconds(60));
      client.resource(units.credentialsSecret("db", db)).create();
      client.resource(units.unit(units.unitYaml("shop", "db", db))).create();

      Process operator = start(kubeconfig, namespace, leaderElection, log);
      try {
        units.awaitCondition("shop", Conditions.READY, "True");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(log).contains("DatabaseUnit operator started"));

        operator.destroy(); // SIGTERM
        boolean stopped = operator.waitFor(60, TimeUnit.SECONDS);
        if (!stopped) {
          new ProcessBuilder("kill", "-3", Long.toString(operator.pid())).start().waitFor(); // a thread dump, to see where it hangs
          Thread.sleep(2000);
        }
        String output = Files.readString(log);
        assertThat(stopped).as("stopped within 60 s:%n%s", output).isTrue();
        assertThat(output).as(output).doesNotContainPattern("(?m)^\\s+at [\\w$.]+\\(")
            .doesNotContain("Exception").doesNotContain("Using SimpleLogger").endsWith("DatabaseUnit operator stopped\n");
        assertThat(operator.exitValue()).as(output).isZero();
      } finally {
        operator.destroyForcibly();
      }
    }
  }

  /** Lost leadership (another replica took the Lease) still ends the process with 1, so Kubernetes restarts it. */
  @Test
  void losingTheLeaseEndsTheProcessWithExitCodeOne(KubeCluster cluster, @TempDir Path dir) throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, cluster.kubeconfigYaml());
    Path log = dir.resolve("operator.log");
    try (KubernetesClient client = cluster.newClient()) {
      String namespace = cluster.createNamespace(client, "lost-lease");
      Process operator = start(kubeconfig, namespace, true, log);
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> client.leases().inNamespace(namespace)
            .withName(OperatorSettings.LEASE_NAME).get() != null);
        // The holder renews every 2 s: retry the takeover until it lands between two renewals.
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> client.leases().inNamespace(namespace)
            .withName(OperatorSettings.LEASE_NAME).edit(lease -> {
              lease.getSpec().setHolderIdentity("another-replica");
              lease.getSpec().setLeaseDurationSeconds(3600);
              // fabric8's elector compares Lease times with the real clock, so the takeover must use it too.
              lease.getSpec().setRenewTime(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC));
              return lease;
            }) != null);
        assertThat(operator.waitFor(60, TimeUnit.SECONDS)).as("exited within 60 s:%n%s", Files.readString(log)).isTrue();
        String output = Files.readString(log);
        assertThat(operator.exitValue()).as(output).isEqualTo(1);
        assertThat(output).contains("Lost the leadership of " + OperatorSettings.LEASE_NAME + ": exiting")
            .contains("DatabaseUnit operator stopped");
      } finally {
        operator.destroyForcibly();
      }
    }
  }

  /** MainOnTestClock in a JVM of its own with the production logging configuration, so the output is what a user reads. */
  private static Process start(Path kubeconfig, String namespace, boolean leaderElection, Path log) throws Exception {
    var builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
        "-Dlog4j2.configurationFile=" + Path.of("src", "main", "resources", "log4j2.xml").toAbsolutePath(), "-cp",
        System.getProperty("java.class.path"), MainOnTestClock.class.getName())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("KUBECONFIG", kubeconfig.toString());
    builder.environment().put("WATCH_NAMESPACES", namespace);
    builder.environment().put("LEADER_ELECTION", Boolean.toString(leaderElection));
    builder.environment().put("OPERATOR_NAMESPACE", namespace);
    builder.environment().put("MANAGEMENT_PORT", "0");
    return builder.start();
  }
}
