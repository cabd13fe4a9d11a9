package dev.databaseunit.operator.testing;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.ManagementServer;
import dev.databaseunit.operator.runtime.OperatorSettings;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The embedded default behind scripts/demo.sh: a local control plane, the operator in this process (leader
 * election on), samples/ applied to the default namespace, and `kubectl get` of the result. It keeps running
 * until Ctrl-C, unless started with --exit.
 */
public final class LocalStack {
  private static final String NAMESPACE = "default";

  private LocalStack() {}

  public static void main(String[] args) throws Exception {
    boolean exitAfterShowing = List.of(args).contains("--exit");
    int managementPort = Integer.parseInt(System.getenv().getOrDefault("DU_MANAGEMENT_PORT", "58081"));
    Path stackDir = LocalServices.servicesFile().getParent().resolve("local-stack");
    Files.createDirectories(stackDir);

    try (var controlPlane = LocalControlPlane.start(); var client = controlPlane.cluster().newClient()) {
      Path kubeconfig = stackDir.resolve("kubeconfig");
      Files.writeString(kubeconfig, controlPlane.cluster().kubeconfigYaml());

      var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      var settings = new OperatorSettings(Set.of(), true, NAMESPACE, managementPort, false);
      var operator = DatabaseUnitOperator.create(client, registry, settings, Clock.systemUTC());
      try (var management = ManagementServer.start(managementPort, operator.operator(), registry)) {
        operator.start();
        for (HasMetadata object : samples(client)) {
          client.resource(object).inNamespace(NAMESPACE).serverSideApply();
        }
        client.resources(DatabaseUnit.class).inNamespace(NAMESPACE).withName("recipes")
            .waitUntilCondition(u -> u != null && u.getStatus() != null
                && Conditions.isTrue(u.getStatus().conditions(), Conditions.READY), 60, TimeUnit.SECONDS);

        kubectl(kubeconfig, "get", "databaseunits,backuppolicies,maintenancewindows,gdprrequests", "-n", NAMESPACE);
        kubectl(kubeconfig, "get", "databaseunit", "recipes", "-n", NAMESPACE, "-o",
            "jsonpath={range .status.conditions[*]}{.type}={.status} ({.reason}: {.message}){\"\\n\"}{end}");
        System.out.printf("%nOperator metrics: http://127.0.0.1:%d/metrics   health: /healthz /readyz%n", management.port());
        System.out.printf("kubectl: export KUBECONFIG=%s; %s get du -A%n", kubeconfig, kubectlBinary());
        if (exitAfterShowing) {
          operator.stop();
          return;
        }
        System.out.println("Running; press Ctrl-C to stop.");
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
          operator.stop();
          stopped.countDown();
        }));
        stopped.await();
      }
    }
  }

  private static List<HasMetadata> samples(KubernetesClient client) throws IOException {
    try (Stream<Path> files = Files.list(Path.of("samples"))) {
      List<HasMetadata> objects = new ArrayList<>();
      for (Path file : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(file)) {
          objects.addAll(client.load(in).items());
        }
      }
      return objects;
    }
  }

  private static String kubectlBinary() {
    return Path.of(System.getProperty("user.home"), ".kubeapitest", "k8s",
        LocalServices.get().kubeVersion() + "-linux-amd64", "kubectl").toString();
  }

  private static void kubectl(Path kubeconfig, String... args) throws IOException, InterruptedException {
    var command = new ArrayList<String>();
    command.add(kubectlBinary());
    command.addAll(List.of(args));
    var process = new ProcessBuilder(command).inheritIO();
    process.environment().put("KUBECONFIG", kubeconfig.toString());
    System.out.println("\n$ kubectl " + String.join(" ", args));
    process.start().waitFor();
  }
}
