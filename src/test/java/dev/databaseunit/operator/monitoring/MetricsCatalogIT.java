package dev.databaseunit.operator.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.TestBucket;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.TestRedis;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every operator metric the alert rules and dashboards query is exported on /metrics: the operator runs a unit
 * with every capability (migrations, an HNSW index, an external PgBouncer and Redis) and a BackupPolicy against
 * the real servers, and the Prometheus scrape must name each series. Counters that only exist after their first
 * event (a maintenance run) are listed with the test that sees them exported.
 */
@WithLocalServices
class MetricsCatalogIT {
  private static final Pattern METRIC = Pattern.compile("\\bdatabaseunit_[a-z0-9_]+");
  /** Exported from their first event; MaintenanceWindowIT asserts them in its scrape. */
  private static final Set<String> EVENT_DRIVEN = Set.of("databaseunit_maintenance_runs_total");

  @Test
  void everyMetricInRulesAndDashboardsIsExported(KubeCluster cluster, TestDatabase db, TestRedis redis, TestBucket bucket)
      throws Exception {
    Set<String> referenced = new TreeSet<>();
    try (Stream<Path> dashboards = Files.list(DashboardsTest.DIR)) {
      for (Path file : Stream.concat(Stream.of(AlertRuleSet.RULE_FILE), dashboards).toList()) {
        METRIC.matcher(Files.readString(file)).results().forEach(m -> referenced.add(m.group()));
      }
    }
    referenced.removeAll(EVENT_DRIVEN);
    assertThat(referenced).hasSizeGreaterThan(25);

    var services = LocalServices.get();
    var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (var operator = OperatorInNamespace.prepare(cluster, "metrics", TestClock.startingNow(), false)) {
      KubernetesClient client = operator.client();
      String ns = operator.namespace();
      operator.secret("db", Map.of("username", db.user(), "password", db.password()));
      operator.secret("pgbouncer", Map.of("username", services.value("pgbouncer.adminUser"),
          "password", services.value("pgbouncer.adminPassword")));
      operator.secret("s3", Map.of("accessKeyId", bucket.accessKey(), "secretAccessKey", bucket.secretKey()));
      operator.secret("kek", Map.of("kek", "3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
      ConfigMap schema = client.getKubernetesSerialization().unmarshal(Files.readString(Path.of("samples", "recipe-schema.yaml")), ConfigMap.class);
      schema.getMetadata().setNamespace(ns);
      client.resource(schema).create();

      operator.startOperator(registry);
      var units = operator.units();
      client.resource(units.unit(units.unitYaml("recipes", "db", db) + """
            migrations: {configMaps: [recipes-schema]}
            vectorIndexes:
              - {name: idx_recipe_embeddings_hnsw, table: recipe_embeddings, column: embedding, dimensions: 1536}
            pooler:
              external: {host: 127.0.0.1, port: %d, adminCredentials: {secretName: pgbouncer}}
              sampleInterval: 1s
            cache:
              external: {host: 127.0.0.1, port: %d}
              keyPrefix: %s
          """.formatted(services.pgbouncerPort(), services.redisPort(), redis.keyPrefix().replace(":", "")))).create();
      client.resource(client.getKubernetesSerialization().unmarshal("""
          apiVersion: databaseunit.dev/v1alpha1
          kind: BackupPolicy
          metadata: {name: recipes-backups, namespace: %s}
          spec:
            databaseUnit: recipes
            schedules: [{tier: daily, cron: "0 0 3 * * ?", retention: 30d}]
            storage: {bucket: %s, endpoint: "%s", credentials: {secretName: s3}}
            encryption: {keyEncryptionKey: {name: kek, key: kek}}
          """.formatted(ns, bucket.name(), bucket.endpoint()), BackupPolicy.class)).create();

      await().atMost(Duration.ofSeconds(120)).untilAsserted(() -> {
        var unit = client.resources(DatabaseUnit.class).inNamespace(ns).withName("recipes").get();
        assertThat(unit.getStatus()).isNotNull();
        assertThat(Conditions.isTrue(unit.getStatus().conditions(), Conditions.READY))
            .as("unit Ready: %s", unit.getStatus().conditions()).isTrue();
        String scrape = registry.scrape();
        assertThat(referenced).allSatisfy(name -> assertThat(scrape).as("exported: " + name)
            .containsPattern("(?m)^" + Pattern.quote(name) + "[{ ]"));
      });
    }
  }
}
