package dev.databaseunit.operator.plugin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.GdprRequest;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.gdpr.RecipeFixture;
import dev.databaseunit.operator.testing.Commands;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.PrivatePgBouncer;
import dev.databaseunit.operator.testing.TestBucket;
import dev.databaseunit.operator.testing.TestClock;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.UnitFixtures;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kubectl-dbu (tools/kubectl-dbu), the binary, run against the real API server with the operator running in-process on
 * the loopback services: each command makes the operator do its work, waits for it and prints the outcome, and the
 * test checks that outcome in the resources' status.
 */
@WithLocalServices
class KubectlDbuIT {
  private static final Duration COMMAND = Duration.ofMinutes(4);

  private Path kubeconfig;
  private String namespace;
  private Duration clockOffset;

  @Test
  void everyCommandDoesItsWorkAgainstTheOperator(KubeCluster cluster, TestDatabase db, TestBucket bucket, @TempDir Path dir)
      throws Exception {
    kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, cluster.kubeconfigYaml());
    String planted = "planted-" + UUID.randomUUID();
    try (var operator = OperatorInNamespace.start(cluster, "dbu")) {
      PrivatePgBouncer bouncer = operator.closeAfterOperator(PrivatePgBouncer.start(10, 300));
      KubernetesClient client = operator.client();
      namespace = operator.namespace();
      clockOffset = ((TestClock) operator.clock()).offset();
      operator.apply(Files.readString(Path.of("samples", "recipe-schema.yaml")));
      operator.apply(shop(db, bucket, bouncer, planted));

      // Usage errors exit 2; a missing unit exits 1 and names the units there are.
      assertThat(dbu("backup")).satisfies(r -> assertThat(r.exitCode()).isEqualTo(2))
          .satisfies(r -> assertThat(r.output()).contains("backup needs one of: now"));
      assertThat(dbu("status", "shp")).satisfies(r -> assertThat(r.exitCode()).isEqualTo(1))
          .satisfies(r -> assertThat(r.output()).contains("DatabaseUnit \"shp\" not found in namespace " + namespace + "; existing: shop"));

      // The unit gets Ready (its migrations create the seed schema); status shows it on one screen.
      await().atMost(Duration.ofMinutes(2))
          .until(() -> dbu("status", "shop").output().contains("Ready:          True"));
      long alice;
      try (Connection c = db.connect()) {
        alice = RecipeFixture.addUser(c, "alice@example.com", 2, 2, false);
      }

      var backup = succeed("backup", "now", "shop-backups");
      var policy = client.resources(BackupPolicy.class).inNamespace(namespace).withName("shop-backups").get().getStatus();
      assertThat(policy.lastOnDemandBackup().outcome()).isEqualTo("Succeeded");
      assertThat(backup).containsPattern("(?m)^\\[\\d+s\\] ") // progress while waiting
          .contains("backup " + policy.lastBackup().id() + " succeeded: tier daily", policy.lastBackup().objectKey());

      var restore = succeed("restore-test", "now", "shop-backups");
      var test = client.resources(BackupPolicy.class).inNamespace(namespace).withName("shop-backups").get().getStatus().lastRestoreTest();
      assertThat(test.outcome()).isEqualTo("Passed");
      assertThat(restore).contains("restore test Passed: backup " + test.backupId() + " (Primary)",
          "RTO %.1fs".formatted(test.recoveryTimeSeconds()), "objective 10m met: true");

      // pause holds the schedule (no next window), resume gives it back.
      assertThat(succeed("maintenance", "pause", "shop-weekly"))
          .contains("MaintenanceWindow shop-weekly: paused", "Ready: True (Suspended) Suspended (spec.suspend)");
      assertThat(window(client).getStatus().nextWindowStart()).isNull();
      assertThat(succeed("status", "shop")).contains("Next window:    shop-weekly: paused (spec.suspend)");
      assertThat(succeed("maintenance", "resume", "shop-weekly")).contains("Ready: True (Scheduled) Next window starts at");
      assertThat(window(client).getStatus().nextWindowStart()).isNotNull();

      // run: one run now, then the schedule applies again.
      var run = succeed("maintenance", "run", "shop-weekly");
      var windowAfter = window(client);
      var lastRun = windowAfter.getStatus().lastRun();
      assertThat(lastRun.outcome()).isEqualTo("Succeeded");
      assertThat(windowAfter.getSpec().runNow()).isFalse();
      assertThat(run).contains("run " + lastRun.id() + " of shop: Succeeded", "UpdateStatistics", "ValidateIntegrity",
          "schedule \"0 2 * * 0\" applies again");

      var export = succeed("gdpr", "export", "--subject", Long.toString(alice), "--unit", "shop", "--requested-by", "dpo@example.com");
      var exported = onlyRequest(client, "Export");
      assertThat(exported.getStatus().phase()).isEqualTo("Completed");
      assertThat(export).contains("export written to " + exported.getStatus().export().location())
          .contains("s3://" + bucket.name() + "/");
      // Without --requested-by, the kubeconfig's user is the requester.
      var erase = succeed("gdpr", "erase", "--subject", Long.toString(alice), "--unit", "shop");
      var erased = onlyRequest(client, "Erase");
      assertThat(erased.getSpec().requestedBy()).isNotBlank();
      assertThat(erase).contains("erasure deleted: ", "users=1");
      try (Connection c = db.connect(); var rs = c.createStatement().executeQuery("SELECT count(*) FROM users WHERE id = " + alice)) {
        rs.next();
        assertThat(rs.getLong(1)).isZero();
      }

      String status = succeed("status", "shop");
      assertThat(status).contains(
          "DatabaseUnit shop (namespace " + namespace + ")",
          "Ready:          True",
          "Pool:           size ",
          "Cache:          unknown (no cache status)",
          "Backups:        shop-backups: last " + policy.lastBackup().id(),
          "within RPO 24h",
          "Restore tests:  shop-backups: Passed ",
          "Next window:    shop-weekly: " + window(client).getStatus().nextWindowStart(),
          "GDPR requests:  none open");

      // report: a zip of our resources, Events and the names of Secrets, never their data.
      Path zip = dir.resolve("report.zip");
      String report = succeed("report", "-o", zip.toString());
      assertThat(report).contains("support bundle " + zip, "resources/databaseunits/shop.yaml", "events.txt", "secrets.txt",
          "not collected: operator logs: no pod labelled app.kubernetes.io/name=databaseunit-operator in any namespace");
      Map<String, String> entries = unzip(zip);
      assertThat(entries).containsKeys("status.txt", "resources/databaseunits/shop.yaml", "resources/backuppolicies/shop-backups.yaml",
          "resources/maintenancewindows/shop-weekly.yaml", "events.txt", "secrets.txt");
      assertThat(entries.get("secrets.txt")).contains("planted", "db", "s3", "kek");
      assertThat(entries.get("events.txt")).contains("BackupPolicy/shop-backups");
      entries.forEach((name, content) -> assertThat(content).as(name).doesNotContain(planted, bucket.secretKey(), db.password(),
          UnitFixtures.TEST_KEK_BASE64, "alice@example.com"));
      assertThat(entries.keySet()).anyMatch(n -> n.startsWith("resources/gdprrequests/export-shop-"));
      entries.entrySet().stream().filter(e -> e.getKey().startsWith("resources/gdprrequests/"))
          .forEach(e -> assertThat(e.getValue()).contains("subjectId: '<redacted").doesNotContain("subjectId: \"" + alice));
    }
  }

  private Commands.Result dbu(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(LocalServices.kubectlDbuTestClock().toString(), "--kubeconfig",
        kubeconfig.toString(), "-n", namespace, "--timeout", "180s"));
    command.addAll(List.of(args));
    return Commands.exec(command, Map.of("DBU_TEST_CLOCK_OFFSET", clockOffset.toMillis() + "ms"), null, COMMAND);
  }

  private String succeed(String... args) throws Exception {
    var result = dbu(args);
    assertThat(result.exitCode()).as("kubectl dbu %s:%n%s", String.join(" ", args), result.output()).isZero();
    // In the test's output report, for docs/kubectl-plugin.md's examples.
    System.out.printf("$ kubectl dbu %s%n%s%n", String.join(" ", args), result.output());
    return result.output();
  }

  private MaintenanceWindow window(KubernetesClient client) {
    return client.resources(MaintenanceWindow.class).inNamespace(namespace).withName("shop-weekly").get();
  }

  private GdprRequest onlyRequest(KubernetesClient client, String type) {
    var requests = client.resources(GdprRequest.class).inNamespace(namespace).list().getItems().stream()
        .filter(r -> r.getSpec().type().name().equals(type)).toList();
    assertThat(requests).hasSize(1);
    return requests.getFirst();
  }

  private static Map<String, String> unzip(Path zip) throws Exception {
    Map<String, String> entries = new LinkedHashMap<>();
    try (var in = new ZipInputStream(Files.newInputStream(zip))) {
      for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        var content = new ByteArrayOutputStream();
        in.transferTo(content);
        entries.put(entry.getName(), content.toString(StandardCharsets.UTF_8));
      }
    }
    return entries;
  }

  /** The unit "shop" through a PgBouncer, with GDPR exports, a BackupPolicy, a weekly window and a Secret to look for. */
  private static String shop(TestDatabase db, TestBucket bucket, PrivatePgBouncer bouncer, String planted) {
    return UnitFixtures.backupSecretsYaml(db, bucket) + """
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: pooler-admin}
        stringData: {username: %s, password: %s}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: planted}
        stringData: {token: %s}
        ---
        apiVersion: databaseunit.dev/v1alpha1
        kind: DatabaseUnit
        metadata: {name: shop}
        spec:
          postgres:
            external: {host: %s, port: %d, database: %s, credentials: {secretName: db}, tls: {mode: disable}}
          extensions: [vector, amcheck]
          migrations: {configMaps: [recipes-schema]}
          pooler:
            external: {host: 127.0.0.1, port: %d, adminCredentials: {secretName: pooler-admin}}
          gdpr:
            exportStorage: {bucket: %s, prefix: gdpr/, endpoint: "%s", credentials: {secretName: s3}}
            exportEncryption: {keyEncryptionKey: {name: kek, key: kek}}
        """.formatted(PrivatePgBouncer.ADMIN_USER, bouncer.adminPassword(), planted, db.host(), db.port(), db.name(), bouncer.port(),
        bucket.name(), bucket.endpoint())
        + RecipeFixture.SUBJECT_TABLES_YAML.indent(4) + """
        ---
        apiVersion: databaseunit.dev/v1alpha1
        kind: BackupPolicy
        metadata: {name: shop-backups}
        spec:
          databaseUnit: shop
          schedules: [{tier: daily, cron: "0 3 * * *", retention: 30d}]
          storage: {bucket: %s, endpoint: "%s", credentials: {secretName: s3}}
          encryption: {keyEncryptionKey: {name: kek, key: kek}}
          restoreTest: {rto: 10m}
        ---
        apiVersion: databaseunit.dev/v1alpha1
        kind: MaintenanceWindow
        metadata: {name: shop-weekly}
        spec:
          databaseUnit: shop
          schedule: "0 2 * * 0"
          duration: 30m
          drainTimeout: 20s
          tasks: [UpdateStatistics, ValidateIntegrity]
        """.formatted(bucket.name(), bucket.endpoint());
  }
}
