package dev.databaseunit.operator.bench;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.OperatorSettings;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.LocalControlPlane;
import dev.databaseunit.operator.testing.LocalServices;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The operator with 1,000 DatabaseUnits on a real API server, in external mode against a few real databases:
 * time until all are Ready, then steady-state CPU, heap, reconciles and database connections, side by side with
 * the same operator idle (no units). Run with bench/scale.sh [units] [databases] [steadySeconds].
 */
public final class ScaleBench {
  private static final String NAMESPACE = "scale";

  private ScaleBench() {}

  public static void main(String[] args) throws Exception {
    int units = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int databases = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int steadySeconds = args.length > 2 ? Integer.parseInt(args[2]) : 120;
    // "pooler+cache": every unit also gets the shared PgBouncer and Redis as its external pooler and cache, with the
    // seed's tables in its database, so the pool loop, the cache sampler and the invalidation listener all run.
    boolean loops = args.length > 3 && args[3].equals("pooler+cache");
    var services = LocalServices.get();
    String adminUrl = "jdbc:postgresql://" + services.postgresHost() + ":" + services.postgresPort() + "/postgres";
    List<String> dbNames = new ArrayList<>();
    try (var c = DriverManager.getConnection(adminUrl, services.postgresUser(), services.postgresPassword())) {
      for (int i = 0; i < databases; i++) {
        String name = "du_scale_" + i;
        c.createStatement().execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        c.createStatement().execute("CREATE DATABASE " + name);
        dbNames.add(name);
        if (loops) {
          try (var db = DriverManager.getConnection(adminUrl.replace("/postgres", "/" + name), services.postgresUser(),
              services.postgresPassword())) {
            db.createStatement().execute("CREATE TABLE users (id bigint PRIMARY KEY, display_name text)");
            db.createStatement().execute("CREATE TABLE user_taste_profiles (user_id bigint PRIMARY KEY, profile text)");
          }
        }
      }
    }
    try (var controlPlane = LocalControlPlane.start(); KubernetesClient client = controlPlane.cluster().newClient()) {
      var registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      var operator = DatabaseUnitOperator.create(client, registry,
          new OperatorSettings(Set.of(), false, NAMESPACE, 0, false), Clock.systemUTC());
      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
      client.resource(new SecretBuilder().withNewMetadata().withName("db").withNamespace(NAMESPACE).endMetadata()
          .withStringData(Map.of("username", services.postgresUser(), "password", services.postgresPassword())).build()).create();
      client.resource(new SecretBuilder().withNewMetadata().withName("pooler-admin").withNamespace(NAMESPACE).endMetadata()
          .withStringData(Map.of("username", services.value("pgbouncer.adminUser"), "password",
              services.value("pgbouncer.adminPassword"))).build()).create();
      operator.start();

      Sample idle = steadyState(registry, steadySeconds, adminUrl, services);

      Instant start = Instant.now();
      for (int i = 0; i < units; i++) {
        client.resource(client.getKubernetesSerialization().unmarshal("""
            apiVersion: databaseunit.dev/v1alpha1
            kind: DatabaseUnit
            metadata: {name: unit-%04d, namespace: %s}
            spec:
              postgres:
                external: {host: %s, port: %d, database: %s, credentials: {secretName: db}, tls: {mode: disable}}
              extensions: [vector]
            """.formatted(i, NAMESPACE, services.postgresHost(), services.postgresPort(), dbNames.get(i % databases))
            + (loops ? """
              pooler:
                external: {host: 127.0.0.1, port: %d, adminCredentials: {secretName: pooler-admin}}
              cache:
                external: {host: 127.0.0.1, port: %d}
                keyPrefix: unit-%04d
            """.formatted(services.pgbouncerPort(), services.redisPort(), i) : ""),
            DatabaseUnit.class)).create();
      }
      Duration created = Duration.between(start, Instant.now());
      long ready;
      do {
        Thread.sleep(2000);
        ready = client.resources(DatabaseUnit.class).inNamespace(NAMESPACE).list().getItems().stream()
            .filter(u -> u.getStatus() != null && Conditions.isTrue(u.getStatus().conditions(), Conditions.READY)).count();
      } while (ready < units && Duration.between(start, Instant.now()).toMinutes() < 15);
      Duration allReady = Duration.between(start, Instant.now());

      Sample loaded = steadyState(registry, steadySeconds, adminUrl, services);
      operator.stop();

      String table = """
          # Operator at scale: %d DatabaseUnits on %d databases (bench/scale.sh)

          Measured %s on this machine (%d cores), one run, code at %s. Units in external mode, each Ready after the
          operator connected and checked the `vector` extension%s. Steady state: %d s after all were Ready, no spec
          changes and no traffic (the operator re-checks each unit every 5 minutes). Baseline: the same operator with
          no units.

          Creating %d units took %.1f s; all %d Ready after %.1f s.

          | | idle operator (0 units) | %d units | ratio |
          |---|---:|---:|---:|
          | CPU, cores (average over the window) | %.3f | %.3f | %.1f× |
          | Heap after GC, MiB | %.1f | %.1f | %.1f× |
          | Reconciles per second | %.2f | %.2f | |
          | Reconcile passes per unit per hour | | %.0f | |
          | Operator connections to PostgreSQL | %d | %d | |
          """.formatted(units, databases, Instant.now(), Runtime.getRuntime().availableProcessors(),
          System.getProperty("bench.revision", "the working tree"),
          loops ? "; each with the shared PgBouncer as its external pooler and the shared Redis as its cache (the seed's"
              + " policies, their tables present)" : "", steadySeconds,
          units, created.toMillis() / 1000.0, ready, allReady.toMillis() / 1000.0, units,
          idle.cpuCores, loaded.cpuCores, ratio(loaded.cpuCores, idle.cpuCores),
          idle.heapMiB, loaded.heapMiB, ratio(loaded.heapMiB, idle.heapMiB),
          idle.reconcilesPerSecond, loaded.reconcilesPerSecond, loaded.reconcilesPerSecond * 3600 / units,
          idle.connections, loaded.connections);
      Path out = Path.of("bench", "results", loops ? "scale-loops.md" : "scale.md");
      Files.createDirectories(out.getParent());
      Files.writeString(out, table);
      System.out.println(table);
    } finally {
      try (var c = DriverManager.getConnection(adminUrl, services.postgresUser(), services.postgresPassword())) {
        for (String name : dbNames) {
          c.createStatement().execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        }
      }
    }
    System.exit(0);
  }

  private record Sample(double cpuCores, double heapMiB, double reconcilesPerSecond, int connections) {}

  private static Sample steadyState(PrometheusMeterRegistry registry, int seconds, String adminUrl, LocalServices services)
      throws Exception {
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    double reconciles0 = reconciles(registry);
    long t0 = System.nanoTime();
    Thread.sleep(seconds * 1000L);
    long elapsed = System.nanoTime() - t0;
    double cores = (os.getProcessCpuTime() - cpu0) / (double) elapsed;
    double rate = (reconciles(registry) - reconciles0) / (elapsed / 1e9);
    System.gc();
    Thread.sleep(1000);
    var heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024.0 * 1024.0);
    int connections;
    try (var c = DriverManager.getConnection(adminUrl, services.postgresUser(), services.postgresPassword());
        var rs = c.createStatement().executeQuery(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'databaseunit-operator'")) {
      rs.next();
      connections = rs.getInt(1);
    }
    return new Sample(cores, heap, rate, connections);
  }

  /** Reconciliations started, summed over JOSDK's per-resource counters. */
  private static double reconciles(PrometheusMeterRegistry registry) {
    return registry.getMeters().stream()
        .filter(m -> m.getId().getType() == Meter.Type.COUNTER && m.getId().getName().endsWith("reconciliations.started"))
        .mapToDouble(m -> ((Counter) m).count()).sum();
  }

  private static double ratio(double a, double b) {
    return b == 0 ? Double.NaN : a / b;
  }
}
