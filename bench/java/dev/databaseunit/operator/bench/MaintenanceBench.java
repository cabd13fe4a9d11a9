package dev.databaseunit.operator.bench;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.maintenance.MaintenanceTask;
import dev.databaseunit.operator.maintenance.OptimizeIndexesTask;
import dev.databaseunit.operator.maintenance.SchemaUpdateTask;
import dev.databaseunit.operator.maintenance.UpdateStatisticsTask;
import dev.databaseunit.operator.maintenance.ValidateIntegrityTask;
import dev.databaseunit.operator.runtime.DatabaseUnitOperator;
import dev.databaseunit.operator.runtime.OperatorSettings;
import dev.databaseunit.operator.schema.FlywayMigrator;
import dev.databaseunit.operator.schema.MigrationScripts;
import dev.databaseunit.operator.status.Conditions;
import dev.databaseunit.operator.testing.LocalControlPlane;
import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.testing.PrivatePgBouncer;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * pgbench through a private PgBouncer while maintenance runs, two ways side by side in one run: (a) naive — terminate
 * the database's backends, run the tasks, restart PgBouncer; (b) the operator's MaintenanceWindow — drain with PAUSE,
 * run the same tasks, RESUME. Counts the transactions clients lost and the p99 latency of the rest. Writes
 * bench/results/maintenance.md. Run with bench/maintenance.sh [seconds] [clients].
 */
public final class MaintenanceBench {
  private static final String NAMESPACE = "maintenance-bench";
  private static final String MIGRATION = "ALTER TABLE pgbench_history ADD COLUMN note text;\n"
      + "CREATE INDEX pgbench_history_aid_idx ON pgbench_history (aid);\n";

  private MaintenanceBench() {}

  record Outcome(String name, long transactions, int failed, double p99Millis, double maxMillis, double maintenanceSeconds) {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int clients = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    var services = LocalServices.get();
    try (var bouncer = PrivatePgBouncer.start(10, 200); var controlPlane = LocalControlPlane.start();
        KubernetesClient client = controlPlane.cluster().newClient()) {
      String naiveDb = freshDatabase(services, "du_bench_naive");
      String oursDb = freshDatabase(services, "du_bench_drain");

      Outcome naive = pgbenchDuring(bouncer, services, naiveDb, seconds, clients, "naive: terminate backends + tasks + restart PgBouncer",
          () -> {
            var ds = dataSource(services, naiveDb);
            try (var c = ds.getConnection(); var s = c.createStatement()) {
              s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
            }
            var target = new MaintenanceTask.Target("bench/naive", ds, "public",
                MigrationScripts.collect(Map.of("migrations", Map.of("V1__note.sql", MIGRATION))).scripts(), List.of());
            for (MaintenanceTask task : tasks()) {
              task.run(target);
            }
            bouncer.restart();
          });

      client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build()).create();
      var operator = DatabaseUnitOperator.create(client, new SimpleMeterRegistry(),
          new OperatorSettings(Set.of(NAMESPACE), false, NAMESPACE, 0, false), Clock.systemUTC());
      operator.start();
      try {
        createUnit(client, services, bouncer, oursDb);
        Outcome ours = pgbenchDuring(bouncer, services, oursDb, seconds, clients, "operator: MaintenanceWindow (PAUSE, tasks, RESUME)",
            () -> runWindow(client));
        write(List.of(naive, ours), seconds, clients);
      } finally {
        operator.stop();
      }
    }
    System.exit(0);
  }

  private static List<MaintenanceTask> tasks() {
    return List.of(new SchemaUpdateTask(new FlywayMigrator()), new OptimizeIndexesTask(), new UpdateStatisticsTask(), new ValidateIntegrityTask());
  }

  @FunctionalInterface
  interface Maintenance {
    void run() throws Exception;
  }

  /** Runs pgbench for the given time and the maintenance a third of the way in; parses pgbench's output and log. */
  private static Outcome pgbenchDuring(PrivatePgBouncer bouncer, LocalServices services, String db, int seconds, int clients,
      String name, Maintenance maintenance) throws Exception {
    Path dir = Files.createTempDirectory("pgbench-" + db);
    var command = List.of("pgbench", "-h", bouncer.host(), "-p", Integer.toString(bouncer.port()), "-U", services.postgresUser(),
        "-c", Integer.toString(clients), "-j", "2", "-T", Integer.toString(seconds), "-l", "--log-prefix=" + dir.resolve("tx"), db);
    var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("out.txt").toFile());
    builder.environment().put("PGPASSWORD", services.postgresPassword());
    Process pgbench = builder.start();
    Thread.sleep(seconds * 1000L / 3);
    long start = System.nanoTime();
    maintenance.run();
    double maintenanceSeconds = (System.nanoTime() - start) / 1e9;
    pgbench.waitFor();
    String out = Files.readString(dir.resolve("out.txt"));
    int aborted = (int) out.lines().filter(l -> l.matches(".*client \\d+ .*aborted.*")).count();
    List<Long> latencies = new ArrayList<>();
    try (Stream<Path> logs = Files.list(dir).filter(p -> p.getFileName().toString().startsWith("tx"))) {
      for (Path log : logs.toList()) {
        // client_id transaction_no latency_us script_no epoch_s epoch_us
        Files.readAllLines(log).forEach(line -> latencies.add(Long.parseLong(line.split(" ")[2])));
      }
    }
    Collections.sort(latencies);
    double p99 = latencies.isEmpty() ? 0 : latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1) / 1000.0;
    double max = latencies.isEmpty() ? 0 : latencies.getLast() / 1000.0;
    System.out.printf("%s: %d transactions, %d failed, p99 %.1f ms, max %.1f ms, maintenance %.1f s%n",
        name, latencies.size(), aborted, p99, max, maintenanceSeconds);
    return new Outcome(name, latencies.size(), aborted, p99, max, maintenanceSeconds);
  }

  private static void runWindow(KubernetesClient client) throws InterruptedException {
    client.resource(client.getKubernetesSerialization().unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: MaintenanceWindow
        metadata: {name: now, namespace: %s}
        spec:
          databaseUnit: bench
          runNow: true
          duration: 30m
          drainTimeout: 60s
          tasks: [SchemaUpdate, OptimizeIndexes, UpdateStatistics, ValidateIntegrity]
          prechecks: {requireBackup: false}
        """.formatted(NAMESPACE), MaintenanceWindow.class)).create();
    while (true) {
      var window = client.resources(MaintenanceWindow.class).inNamespace(NAMESPACE).withName("now").get();
      if (window.getStatus() != null && window.getStatus().lastRun() != null) {
        var run = window.getStatus().lastRun();
        if (!"Succeeded".equals(run.outcome())) {
          throw new IllegalStateException("maintenance run did not succeed: " + run);
        }
        return;
      }
      Thread.sleep(100);
    }
  }

  private static void createUnit(KubernetesClient client, LocalServices services, PrivatePgBouncer bouncer, String db)
      throws InterruptedException {
    client.resource(new SecretBuilder().withNewMetadata().withName("db").withNamespace(NAMESPACE).endMetadata()
        .withStringData(Map.of("username", services.postgresUser(), "password", services.postgresPassword())).build()).create();
    client.resource(new SecretBuilder().withNewMetadata().withName("pooler-admin").withNamespace(NAMESPACE).endMetadata()
        .withStringData(Map.of("username", PrivatePgBouncer.ADMIN_USER, "password", bouncer.adminPassword())).build()).create();
    client.resource(new ConfigMapBuilder().withNewMetadata().withName("migrations").withNamespace(NAMESPACE).endMetadata()
        .withData(Map.of("V1__note.sql", MIGRATION)).build()).create();
    client.resource(client.getKubernetesSerialization().unmarshal("""
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata: {name: bench, namespace: %s}
        spec:
          postgres:
            external: {host: %s, port: %d, database: %s, credentials: {secretName: db}, tls: {mode: disable}}
          extensions: [amcheck, pgstattuple]
          migrations: {configMaps: [migrations], applyIn: MaintenanceWindow}
          pooler:
            external: {host: 127.0.0.1, port: %d, adminCredentials: {secretName: pooler-admin}}
        """.formatted(NAMESPACE, services.postgresHost(), services.postgresPort(), db, bouncer.port()), DatabaseUnit.class)).create();
    while (true) {
      var unit = client.resources(DatabaseUnit.class).inNamespace(NAMESPACE).withName("bench").get();
      if (unit.getStatus() != null && Conditions.isTrue(unit.getStatus().conditions(), Conditions.READY)) {
        return;
      }
      Thread.sleep(200);
    }
  }

  private static String freshDatabase(LocalServices services, String name) throws Exception {
    String adminUrl = "jdbc:postgresql://" + services.postgresHost() + ":" + services.postgresPort() + "/postgres";
    try (var c = DriverManager.getConnection(adminUrl, services.postgresUser(), services.postgresPassword()); var s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      s.execute("CREATE DATABASE " + name);
    }
    var init = new ProcessBuilder("pgbench", "-i", "-q", "-s", "2", "-h", services.postgresHost(), "-p",
        Integer.toString(services.postgresPort()), "-U", services.postgresUser(), name).inheritIO();
    init.environment().put("PGPASSWORD", services.postgresPassword());
    if (init.start().waitFor() != 0) {
      throw new IllegalStateException("pgbench -i failed for " + name);
    }
    try (var c = dataSource(services, name).getConnection(); var s = c.createStatement()) {
      s.execute("CREATE EXTENSION IF NOT EXISTS amcheck");
      s.execute("CREATE EXTENSION IF NOT EXISTS pgstattuple");
    }
    return name;
  }

  private static PGSimpleDataSource dataSource(LocalServices services, String db) {
    var ds = new PGSimpleDataSource();
    ds.setUrl("jdbc:postgresql://" + services.postgresHost() + ":" + services.postgresPort() + "/" + db);
    ds.setUser(services.postgresUser());
    ds.setPassword(services.postgresPassword());
    return ds;
  }

  private static void write(List<Outcome> outcomes, int seconds, int clients) throws IOException {
    var naive = outcomes.get(0);
    var ours = outcomes.get(1);
    var table = new StringBuilder("""
        # Maintenance under load: naive vs drain-based

        pgbench (TPC-B-like, scale 2, %d clients, %d s, simple protocol) through a private PgBouncer 1.18 in
        transaction mode in front of PostgreSQL 15, with one maintenance run a third of the way in. Both runs do the
        same tasks with the same code (Flyway migration adding a column and an index, REINDEX CONCURRENTLY of
        bloated indexes, ANALYZE, amcheck + constraint checks); only the way traffic is handled differs.
        Failed = pgbench clients aborted by an error (pgbench does not reconnect, so every abort is a transaction
        that failed in the client's face and a client lost for the rest of the run). Latencies from `pgbench -l`, of
        the transactions that completed: a naive run's aborted clients add none after the maintenance, so its p99
        covers only the calm before it; the drain-based p99 and max include the time clients queued behind PAUSE.

        | run | transactions | failed | p99 latency (ms) | max latency (ms) | maintenance (s) |
        |---|---:|---:|---:|---:|---:|
        """.formatted(clients, seconds));
    for (Outcome o : outcomes) {
      table.append("| %s | %d | %d | %.1f | %.1f | %.2f |%n".formatted(o.name(), o.transactions(), o.failed(), o.p99Millis(),
          o.maxMillis(), o.maintenanceSeconds()));
    }
    table.append("%nFailed transactions: naive %d, drain-based %d. Transactions completed, drain-based / naive: %.2fx. "
        .formatted(naive.failed(), ours.failed(), naive.transactions() == 0 ? 0 : (double) ours.transactions() / naive.transactions()));
    table.append("p99 latency, drain-based / naive: %.2fx (the drain turns the maintenance into queueing time instead of errors).%n"
        .formatted(naive.p99Millis() == 0 ? 0 : ours.p99Millis() / naive.p99Millis()));
    table.append(System.lineSeparator()).append("Measured on the project's 2-core machine, shared with other work; run `bench/maintenance.sh` to repeat.")
        .append(System.lineSeparator());
    Path out = Path.of("bench", "results", "maintenance.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, table);
    System.out.println(table);
  }
}
