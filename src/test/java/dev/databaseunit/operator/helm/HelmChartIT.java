package dev.databaseunit.operator.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.OperatorSettings;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.Commands;
import dev.databaseunit.operator.testing.Conflicts;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.testing.RestrictedPods;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The Helm chart: lint-clean, every rendered object accepted by the real API server (server-side dry-run),
 * pods that meet the restricted Pod Security Standard, and RBAC that is enough for the operator and has no
 * wildcards. The ServiceMonitor and PrometheusRule need the Prometheus Operator's CRDs, which this API server
 * does not have; the rules are checked with promtool instead.
 */
@WithLocalServices
class HelmChartIT {
  private static final String CHART = "helm/databaseunit-operator";
  private static final String KUBE_VERSION = "1.34.4";

  @Test
  void lintIsCleanInStrictMode() throws Exception {
    assertThat(helm("lint", "--strict", CHART)).contains("0 chart(s) failed");
  }

  @Test
  void everyRenderedObjectIsAcceptedByTheApiServer(KubeCluster cluster) throws Exception {
    try (KubernetesClient client = cluster.newClient()) {
      for (List<String> values : List.<List<String>>of(
          List.of(),
          List.of("--set", "rbac.scope=namespaced", "--set", "watchNamespaces={apps,shop}"),
          List.of("--set", "metrics.serviceMonitor.enabled=true", "--set", "replicaCount=1",
              "--set", "prometheusRule.enabled=true", "--set", "dashboards.enabled=true",
              "--set", "metrics.podMonitor.enabled=true", "--set", "networkPolicy.enabled=true",
              "--set", "networkPolicy.apiServer.cidrs={10.96.0.1/32}"))) {
        String namespace = cluster.createNamespace(client, "chart");
        List<HasMetadata> objects = render(client, namespace, values);
        assertThat(objects).extracting(HasMetadata::getKind).contains("Deployment", "ServiceAccount", "CustomResourceDefinition");
        for (HasMetadata object : objects) {
          if (object.getApiVersion().startsWith("monitoring.coreos.com/")) {
            continue;
          }
          if (object.getMetadata().getNamespace() != null) {
            ensureNamespace(client, object.getMetadata().getNamespace());
          }
          HasMetadata accepted = client.resource(object).dryRun().fieldManager("helm-chart-it").forceConflicts().serverSideApply();
          assertThat(accepted.getMetadata().getName()).as(object.getKind()).isEqualTo(object.getMetadata().getName());
        }
      }
    }
  }

  @Test
  void everyPodMeetsTheRestrictedPodSecurityStandard(KubeCluster cluster) throws Exception {
    try (KubernetesClient client = cluster.newClient()) {
      String namespace = RestrictedPods.restrictedNamespace(cluster, client);
      int pods = 0;
      for (HasMetadata object : render(client, namespace, List.of())) {
        if (object instanceof Deployment deployment) {
          RestrictedPods.assertRestricted(client, namespace, deployment.getMetadata().getName(), deployment.getSpec().getTemplate().getSpec());
          pods++;
        } else if (object instanceof Pod pod) {
          RestrictedPods.assertRestricted(client, namespace, pod.getMetadata().getName(), pod.getSpec());
          pods++;
        }
      }
      assertThat(pods).isEqualTo(2);
    }
  }

  @Test
  void rbacNamesEveryVerbAndResourceWithoutWildcards(KubeCluster cluster) throws Exception {
    try (KubernetesClient client = cluster.newClient()) {
      List<PolicyRule> rules = new ArrayList<>();
      for (HasMetadata object : render(client, "ops", List.of("--set", "rbac.scope=namespaced", "--set", "watchNamespaces={apps}"))) {
        if (object instanceof Role role) {
          rules.addAll(role.getRules());
        }
      }
      for (HasMetadata object : render(client, "ops", List.of())) {
        if (object instanceof ClusterRole role) {
          rules.addAll(role.getRules());
        }
      }
      assertThat(rules).isNotEmpty().allSatisfy(rule -> {
        assertThat(rule.getVerbs()).doesNotContain("*");
        assertThat(rule.getResources()).doesNotContain("*");
        assertThat(rule.getApiGroups()).doesNotContain("*");
      });
    }
  }

  /**
   * The operator runs as the chart's ServiceAccount with exactly the chart's namespaced Role, and works: a unit gets
   * Ready; a managed pooler's objects, its PodDisruptionBudget among them, are created and removed again.
   */
  @Test
  void theOperatorWorksWithExactlyTheChartsRole(KubeCluster cluster, TestDatabase db) throws Exception {
    try (KubernetesClient admin = cluster.newClient()) {
      String namespace = cluster.createNamespace(admin, "rbac");
      for (HasMetadata object : render(admin, namespace,
          List.of("--set", "rbac.scope=namespaced", "--set", "watchNamespaces={" + namespace + "}"))) {
        if (Set.of("ServiceAccount", "Role", "RoleBinding").contains(object.getKind())) {
          admin.resource(object).create();
        }
      }
      String token = admin.serviceAccounts().inNamespace(namespace).withName("t-databaseunit-operator")
          .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L).endSpec().build())
          .getStatus().getToken();
      var units = new UnitFixtures(admin, namespace, Duration.ofSeconds(60));
      admin.resource(units.credentialsSecret("db", db)).create();

      try (KubernetesClient asOperator = cluster.newClientWithToken(token)) {
        var operator = DatabaseUnitOperator.create(asOperator, new SimpleMeterRegistry(),
            new OperatorSettings(Set.of(namespace), true, namespace, 0, false), TestClock.startingNow());
        operator.start();
        try {
          admin.resource(units.unit(units.unitYaml("app", "db", db))).create();
          await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            var unit = admin.resources(DatabaseUnit.class).inNamespace(namespace).withName("app").get();
            assertThat(unit.getStatus()).isNotNull();
            assertThat(Conditions.isTrue(unit.getStatus().conditions(), Conditions.READY))
                .as("Ready; conditions %s", unit.getStatus().conditions()).isTrue();
          });
          admin.resource(units.unit(units.unitYaml("pooled", "db", db) + "  pooler: {}\n")).create();
          await().atMost(Duration.ofSeconds(60)).until(() ->
              admin.resources(PodDisruptionBudget.class).inNamespace(namespace).withName("pooled-pooler").get() != null
                  && admin.apps().deployments().inNamespace(namespace).withName("pooled-pooler").get() != null);
          Conflicts.retry(() -> admin.resources(DatabaseUnit.class).inNamespace(namespace).withName("pooled").edit(u -> {
            var edited = units.unit(units.unitYaml("pooled", "db", db) + "  pooler: {enabled: false}\n");
            edited.setMetadata(u.getMetadata());
            return edited;
          }));
          await().atMost(Duration.ofSeconds(60)).until(() ->
              admin.resources(PodDisruptionBudget.class).inNamespace(namespace).withName("pooled-pooler").get() == null
                  && admin.apps().deployments().inNamespace(namespace).withName("pooled-pooler").get() == null);
          // Deleting goes through the operator's finalizer, which it may only remove with the chart's verbs.
          for (String unit : List.of("app", "pooled")) {
            admin.resources(DatabaseUnit.class).inNamespace(namespace).withName(unit).delete();
            await().atMost(Duration.ofSeconds(30)).until(() ->
                admin.resources(DatabaseUnit.class).inNamespace(namespace).withName(unit).get() == null);
          }
        } finally {
          operator.stop();
        }
      }
    }
  }

  /** PodMonitor and NetworkPolicy exist only when enabled, and select exactly the operator's pods. */
  @Test
  void podMonitorAndNetworkPolicyOnlyWhenEnabled(KubeCluster cluster) throws Exception {
    try (KubernetesClient client = cluster.newClient()) {
      assertThat(render(client, "ops", List.of())).extracting(HasMetadata::getKind).doesNotContain("PodMonitor", "NetworkPolicy");
      List<HasMetadata> objects = render(client, "ops", List.of("--set", "metrics.podMonitor.enabled=true",
          "--set", "networkPolicy.enabled=true", "--set", "networkPolicy.apiServer.cidrs={10.96.0.1/32}"));
      var deployment = first(objects, Deployment.class);
      var podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
      var port = deployment.getSpec().getTemplate().getSpec().getContainers().getFirst().getPorts().getFirst();

      var podMonitor = objects.stream().filter(o -> o.getKind().equals("PodMonitor")).map(GenericKubernetesResource.class::cast)
          .findFirst().orElseThrow();
      assertThat(podLabels).containsAllEntriesOf(podMonitor.get("spec", "selector", "matchLabels"));
      assertThat(podMonitor.<String>get("spec", "podMetricsEndpoints", 0, "port")).isEqualTo(port.getName());

      var policy = first(objects, NetworkPolicy.class);
      assertThat(podLabels).containsAllEntriesOf(policy.getSpec().getPodSelector().getMatchLabels());
      assertThat(policy.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
      assertThat(policy.getSpec().getIngress()).singleElement().satisfies(rule ->
          assertThat(rule.getPorts()).extracting(p -> p.getPort().getStrVal()).containsExactly(port.getName()));
      assertThat(policy.getSpec().getEgress()).flatExtracting(rule -> rule.getPorts())
          .extracting(p -> p.getPort().getIntVal()).contains(53, 443, 6443, 5432, 6432, 6379);
      // The helm test pod is not an operator pod: neither the metrics Service nor the policy may select it.
      var testPod = first(objects, Pod.class);
      assertThat(testPod.getMetadata().getLabels()).doesNotContainEntry("app.kubernetes.io/name", podLabels.get("app.kubernetes.io/name"));
    }
  }

  /** The chart's security values reach the operator as its egress rules; the defaults are the operator's own. */
  @Test
  void securityValuesBecomeTheOperatorsEgressRules(KubeCluster cluster) throws Exception {
    try (KubernetesClient client = cluster.newClient()) {
      assertThat(egressOf(render(client, "ops", List.of()))).isEqualTo(dev.databaseunit.operator.common.EgressPolicy.DEFAULT);
      var egress = egressOf(render(client, "ops", List.of("--set", "security.allowPlaintextCredentials=true",
          "--set", "security.allowedDatabaseHosts={db.internal,*.rds.amazonaws.com}",
          "--set", "security.allowedS3Endpoints={minio.storage.svc}", "--set", "security.allowedScratchInstances={scratch.internal}")));
      assertThat(egress).isEqualTo(new dev.databaseunit.operator.common.EgressPolicy(true, true,
          List.of("db.internal", "*.rds.amazonaws.com"), List.of("minio.storage.svc"), List.of("scratch.internal")));
      assertThat(helmFails(List.of("--set", "security.allowedDatabaseHosts={not a host}"))).contains("allowedDatabaseHosts");
    }
  }

  /** The chart's databaseTimeouts reach the operator; unset purposes keep its defaults. */
  @Test
  void databaseTimeoutValuesBecomeTheOperatorsSessionTimeouts(KubeCluster cluster) throws Exception {
    try (KubernetesClient client = cluster.newClient()) {
      assertThat(settingsOf(render(client, "ops", List.of())).databaseTimeouts())
          .isEqualTo(dev.databaseunit.operator.postgres.DatabaseTimeouts.DEFAULT);
      var timeouts = settingsOf(render(client, "ops", List.of("--set", "databaseTimeouts.connect=5s",
          "--set", "databaseTimeouts.vector-indexes.statement=24h", "--set", "databaseTimeouts.metrics.lock=1s"))).databaseTimeouts();
      assertThat(timeouts).isEqualTo(dev.databaseunit.operator.postgres.DatabaseTimeouts.parse(
          "connect=5s,vector-indexes.statement=24h,metrics.lock=1s"));
      assertThat(timeouts.connect()).isEqualTo(Duration.ofSeconds(5));
      assertThat(helmFails(List.of("--set", "databaseTimeouts.metrics.lock=soon"))).contains("databaseTimeouts");
    }
  }

  private static dev.databaseunit.operator.common.EgressPolicy egressOf(List<HasMetadata> objects) {
    return settingsOf(objects).egress();
  }

  private static OperatorSettings settingsOf(List<HasMetadata> objects) {
    var deployment = first(objects, Deployment.class);
    var env = new java.util.HashMap<String, String>();
    deployment.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv().stream().filter(e -> e.getValue() != null)
        .forEach(e -> env.put(e.getName(), e.getValue()));
    return OperatorSettings.fromEnvironment(env);
  }

  private static <T> T first(List<HasMetadata> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).findFirst().orElseThrow();
  }

  private static void ensureNamespace(KubernetesClient client, String name) {
    if (client.namespaces().withName(name).get() == null) {
      client.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder()
          .withNewMetadata().withName(name).endMetadata().build()).create();
    }
  }

  private static List<HasMetadata> render(KubernetesClient client, String namespace, List<String> values) throws Exception {
    List<String> args = new ArrayList<>(List.of("template", "t", CHART, "--namespace", namespace, "--kube-version", KUBE_VERSION));
    args.addAll(values);
    String yaml = helm(args.toArray(String[]::new));
    return client.load(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8))).items();
  }

  /** Renders with the values, expecting the chart's schema to refuse them; returns Helm's error output. */
  private static String helmFails(List<String> values) throws Exception {
    List<String> command = new ArrayList<>(List.of(LocalServices.helm().toString(), "template", "t", CHART));
    command.addAll(values);
    var process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as("helm template %s must fail", values).isNotZero();
    return output;
  }

  private static String helm(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(LocalServices.helm().toString()));
    command.addAll(List.of(args));
    return Commands.run(command);
  }
}
