package dev.databaseunit.operator.testing;

import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.ManagementServer;
import dev.databaseunit.operator.runtime.OperatorSettings;
import dev.databaseunit.operator.status.Conditions;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * The in-process developer stack behind scripts/demo-local.sh: a local control plane, the operator in this process
 * (leader election on), samples/ rewritten to external mode on the loopback services ({@link LocalSamples}) and
 * applied to the default namespace, and `kubectl get` of the result. It keeps running until Ctrl-C, unless started
 * with --exit. (scripts/demo.sh runs the same samples in managed mode on the local cluster.)
 */
public final class LocalStack {
  private static final String NAMESPACE = "default";
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(120);
  private static final Set<String> TERMINAL_PHASES = Set.of("Completed", "Failed");

  private LocalStack() {}

  public static void main(String[] args) throws Exception {
    boolean exitAfterShowing = List.of(args).contains("--exit");
    int managementPort = Integer.parseInt(System.getenv().getOrDefault("DU_MANAGEMENT_PORT", "58081"));
    Path stackDir = LocalServices.servicesFile().getParent().resolve("local-stack");
    Files.createDirectories(stackDir);

    var controlPlane = LocalControlPlane.start();
    var client = controlPlane.cluster().newClient();
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    var settings = new OperatorSettings(Set.of(), true, NAMESPACE, managementPort, false);
    var operator = DatabaseUnitOperator.create(client, registry, settings, Clock.systemUTC());
    var management = ManagementServer.start(managementPort, operator.operator(), registry);
    // One way down for every exit (--exit, Ctrl-C, an error): the operator first, then the API server and etcd, so
    // no reconcile meets a closed client and no process of the demo outlives it.
    var stopped = new CountDownLatch(1);
    Runnable stop = () -> {
      operator.stop();
      management.close();
      client.close();
      controlPlane.close();
      stopped.countDown();
    };
    Thread hook = new Thread(stop, "local-stack-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Path kubeconfig = stackDir.resolve("kubeconfig");
      Files.writeString(kubeconfig, controlPlane.cluster().kubeconfigYaml());
      operator.start();
      var local = LocalSamples.load(Path.of("samples"), LocalServices.get(), client.getKubernetesSerialization());
      try (var s3 = LocalServices.get().s3Client()) {
        local.prepareServices(s3);
      }
      List<HasMetadata> samples = local.objects(stackDir);
      for (HasMetadata object : samples) {
        client.resource(object).inNamespace(NAMESPACE).serverSideApply();
      }
      List<String> unsettled = awaitSettled(client, samples, SETTLE_TIMEOUT);
      if (!unsettled.isEmpty()) {
        System.out.printf("%nNot settled after %d s (see the conditions below): %s%n", SETTLE_TIMEOUT.toSeconds(), unsettled);
      }
      kubectl(kubeconfig, "get", "databaseunits,backuppolicies,maintenancewindows,gdprrequests", "-n", NAMESPACE);
      kubectl(kubeconfig, "get", "databaseunit", "recipes", "-n", NAMESPACE, "-o",
          "jsonpath={range .status.conditions[*]}{.type}={.status} ({.reason}: {.message}){\"\\n\"}{end}");
      System.out.printf("%nOperator metrics: http://127.0.0.1:%d/metrics   health: /healthz /readyz%n", management.port());
      System.out.printf("kubectl: export KUBECONFIG=%s; %s get du -A%n", kubeconfig, kubectlBinary());
      if (!exitAfterShowing) {
        System.out.println("Running; press Ctrl-C to stop.");
        stopped.await();
        return;
      }
    } catch (Exception e) {
      System.err.println("The local stack failed: " + e);
      throw e;
    } finally {
      if (stopped.getCount() > 0 && Runtime.getRuntime().removeShutdownHook(hook)) {
        stop.run();
      }
    }
  }

  /**
   * Waits until every sample of the operator's kinds has settled: Ready, or a GdprRequest in a terminal phase. Returns
   * the ones that did not within the timeout.
   */
  private static List<String> awaitSettled(KubernetesClient client, List<HasMetadata> samples, Duration timeout)
      throws InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    List<String> unsettled;
    do {
      unsettled = samples.stream().filter(o -> o.getApiVersion().startsWith("databaseunit.dev/"))
          .filter(o -> !settled(client.genericKubernetesResources(o.getApiVersion(), o.getKind()).inNamespace(NAMESPACE)
              .withName(o.getMetadata().getName()).get()))
          .map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList();
      if (unsettled.isEmpty()) {
        return unsettled;
      }
      Thread.sleep(500);
    } while (Instant.now().isBefore(deadline));
    return unsettled;
  }

  @SuppressWarnings("unchecked")
  private static boolean settled(GenericKubernetesResource resource) {
    if (resource == null || !(resource.getAdditionalProperties().get("status") instanceof Map<?, ?> status)) {
      return false;
    }
    if (status.get("phase") instanceof String phase && TERMINAL_PHASES.contains(phase)) {
      return true;
    }
    var conditions = status.get("conditions") instanceof List<?> list ? (List<Map<String, Object>>) list : List.<Map<String, Object>>of();
    return conditions.stream().anyMatch(c -> Conditions.READY.equals(c.get("type")) && "True".equals(c.get("status")));
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
