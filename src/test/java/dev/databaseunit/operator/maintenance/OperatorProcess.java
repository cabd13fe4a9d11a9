package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.OperatorSettings;
import dev.databaseunit.operator.testing.TestClock;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The operator in a JVM of its own, so a test can kill it with SIGKILL mid-run: no finally path, no shutdown hook,
 * exactly what a crashed or evicted pod leaves behind. Arguments: a kubeconfig file, the namespace to watch and the
 * test clock's offset in milliseconds (both operators of a test must share one clock: they compare Lease times).
 */
public final class OperatorProcess {
  private OperatorProcess() {}

  public static void main(String[] args) throws Exception {
    var client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(Files.readString(Path.of(args[0])))).build();
    var operator = DatabaseUnitOperator.create(client, new SimpleMeterRegistry(),
        new OperatorSettings(Set.of(args[1]), false, args[1], 0, false), TestClock.withOffset(Duration.ofMillis(Long.parseLong(args[2]))));
    operator.start();
    Thread.currentThread().join();
  }

  /** Starts it with this JVM's class path, the test's clock and the given maintenance lease; output goes to {@code log}. */
  static Process start(String kubeconfigYaml, String namespace, TestClock clock, int leaseSeconds, Path log) throws IOException {
    Path kubeconfig = Files.createTempFile("operator-process", ".kubeconfig");
    Files.writeString(kubeconfig, kubeconfigYaml);
    kubeconfig.toFile().deleteOnExit();
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.add("-D" + MaintenanceSettings.LEASE_SECONDS_PROPERTY + "=" + leaseSeconds);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(OperatorProcess.class.getName());
    command.add(kubeconfig.toString());
    command.add(namespace);
    command.add(Long.toString(clock.offset().toMillis()));
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }
}
