package dev.databaseunit.operator.e2e;

import static dev.databaseunit.operator.e2e.InCluster.condition;
import static dev.databaseunit.operator.e2e.InCluster.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.testing.Conflicts;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.policy.v1.EvictionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.ThrowingConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * What a platform engineer meets on a cluster, on the project's local node (real kubelet, containerd, kube-proxy,
 * CoreDNS and a dynamic PVC provisioner): the chart installed with Helm, the operator as pods, a managed unit whose
 * PostgreSQL, PgBouncer and Redis run as pods in namespaces that enforce the restricted Pod Security Standard, an
 * application that connects with nothing but the unit's connection Secret, and every kind doing its work — then the
 * faults a cluster brings: a PgBouncer pod evicted and one killed (SIGKILL, then force-deleted) under pgbench, operator
 * pods killed in the middle of a backup, a drain and an erasure, the database pod deleted, an upgrade and an uninstall. The steps build on each other and run in order.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
// The one class that runs beside the others (junit-platform.properties): it mostly waits on pods, they on their own
// servers, and nothing is shared but the machine. Its steps keep their order in its own thread (SAME_THREAD below).
@Execution(ExecutionMode.CONCURRENT)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperatorOnLocalClusterE2E {
  /** The demo's release and namespace: the e2e takes the local cluster over (the CRDs belong to that release). */
  private static final String RELEASE = "databaseunit-operator";
  private static final String OPERATOR_NAMESPACE = "databaseunit-system";
  private static final String APPS = "e2e-apps";
  private static final String BACKUPS = "recipes-backups";
  private static final String EXPORTS = "recipes-gdpr-exports";
  private static final String CHART = "helm/databaseunit-operator";
  private static final String LEADER_LEASE = "databaseunit-operator";
  private static final Duration READY = Duration.ofMinutes(10);
  private static final SecureRandom RANDOM = new SecureRandom();

  private LocalCluster cluster;
  private KubernetesClient client;
  private InCluster apps;
  private S3InCluster.Keys s3;
  /** Where this run's backups go in the shared bucket, apart from the demo's and earlier runs'. */
  private final String prefix = "e2e-" + Long.toString(System.nanoTime(), 36) + "/";

  @BeforeAll
  void installTheChart() throws Exception {
    cluster = LocalCluster.ensureUp();
    client = cluster.newClient();
    // Leftovers of an earlier run: the release, its namespaces (the CRDs stay, as they do for users).
    if (cluster.helm(Duration.ofMinutes(1), "list", "-n", OPERATOR_NAMESPACE, "-q").contains(RELEASE)) {
      cluster.helm(Duration.ofMinutes(3), "uninstall", RELEASE, "-n", OPERATOR_NAMESPACE, "--wait");
    }
    InCluster.deleteNamespace(client, APPS);
    if (client.namespaces().withName(OPERATOR_NAMESPACE).get() == null) {
      InCluster.createRestrictedNamespace(client, OPERATOR_NAMESPACE);
    }
    InCluster.createRestrictedNamespace(client, APPS);
    apps = new InCluster(client, APPS);
    s3 = S3InCluster.ensureDeployed(client, random(12), random(24));
  }

  @AfterAll
  void close() {
    if (client != null) {
      client.close();
    }
  }

  /** helm install with the chart's defaults (two replicas, leader election), then helm test. */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(1)
  void helmInstallsTheOperatorAndHelmTestPasses() throws Exception {
    cluster.helm(Duration.ofMinutes(6), "install", RELEASE, CHART, "--namespace", OPERATOR_NAMESPACE,
        "--set", "watchNamespaces={" + APPS + "}", "--wait", "--timeout", "5m");
    assertThat(cluster.helm(Duration.ofMinutes(4), "test", RELEASE, "--namespace", OPERATOR_NAMESPACE, "--timeout", "3m"))
        .containsPattern("Phase:\\s+Succeeded");
    assertThat(operatorPods()).hasSize(2).allMatch(OperatorOnLocalClusterE2E::isReady);
  }

  /**
   * The seed's recipe unit in managed mode reaches Ready with its pods running under the restricted profile; so does a
   * minimal unit (managed PostgreSQL, pooler and cache, nothing else), which never got Ready while the default cache
   * policies needed the seed's tables.
   */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(2)
  void managedUnitsGetReadyUnderTheRestrictedProfile() throws Exception {
    apps.applyFile(Path.of("samples", "recipe-schema.yaml"));
    apps.apply(secrets());
    apps.applyFile(Path.of("samples", "databaseunit.yaml"));
    apps.apply(MINIMAL_UNIT);
    apps.awaitReady("DatabaseUnit", "recipes", READY);
    apps.awaitReady("DatabaseUnit", "minimal", READY);
    var pods = client.pods().inNamespace(APPS).list().getItems();
    assertThat(pods).extracting(p -> p.getSpec().getContainers().getFirst().getName()).contains("postgres", "pgbouncer", "redis");
    assertThat(pods).allSatisfy(p -> assertThat(isReady(p)).as(p.getMetadata().getName() + " Ready").isTrue());
    // The adaptive loop reaches the managed PgBouncer: the initial size is applied and reported.
    // Two PgBouncer pods by default, each sized through its own console and reported with its size.
    awaitPoolerAvailable("recipes");
    apps.await("DatabaseUnit", "recipes", Duration.ofMinutes(2), u -> path(u, "status", "pooler", "replicas") instanceof List<?> replicas
        && replicas.size() == 2 && replicas.stream().allMatch(r -> r instanceof Map<?, ?> m && m.get("size") instanceof Integer size && size >= 5));
  }

  /**
   * A PgBouncer pod stopped while pgbench (8 clients, a new connection per transaction) runs through the Service. Evicted,
   * as a node drain does it (through the unit's PodDisruptionBudget): the pod leaves the Service's endpoints before
   * PgBouncer shuts down safely, so no client notices. Killed, as a crash is: the connections that pod held are cut and
   * pgbench aborts a client whose connection breaks (it retries no connection failure); once the pod is replaced, a
   * new run loses no client.
   */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(3)
  void aPoolerPodStoppedUnderPgbench() throws Exception {
    apps.runPod("pgbench-init", "recipes-connection", Duration.ofMinutes(3), pgbench("-i -s 2 -q"));
    // policy/v1 (the client's evict() without an argument still posts v1beta1, which Kubernetes 1.25 removed)
    var evicted = pgbenchWhile("pgbench-evict", pod -> assertThat(client.pods().inNamespace(APPS).withName(pod)
        .evict(new EvictionBuilder().withNewMetadata().withName(pod).withNamespace(APPS).endMetadata().build()))
        .as("eviction of %s allowed", pod).isTrue());
    System.out.printf("e2e: pgbench with a PgBouncer pod evicted: %s%n", evicted);
    assertThat(evicted.exitStatus()).as(evicted.report()).isZero();
    assertThat(evicted.failed()).as(evicted.report()).isZero();
    assertThat(evicted.abortedClients()).as(evicted.report()).isZero();
    assertThat(evicted.processed()).as(evicted.report()).isPositive();
    awaitPoolerAvailable("recipes");

    var killed = pgbenchWhile("pgbench-kill", pod -> killPod(APPS, pod));
    System.out.printf("e2e: pgbench with a PgBouncer pod killed: %s%n", killed);
    assertThat(killed.processed()).as(killed.report()).isPositive();
    awaitPoolerAvailable("recipes");
    // How many clients the kill aborts depends on where the Service sent them (one run cut all 8); what must hold is
    // that the pooler serves every client again once the Deployment has replaced the pod.
    var after = pgbenchWhile("pgbench-after-kill", pod -> {});
    assertThat(after.exitStatus()).as(after.report()).isZero();
    assertThat(after.abortedClients()).as(after.report()).isZero();
  }

  /**
   * An application pod with nothing but `recipes-connection`: through the PgBouncer Service, TLS verify-full, as the
   * application's role, which is no superuser and may not create roles or databases.
   */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(4)
  void anApplicationConnectsThroughThePoolerWithTheConnectionSecretOnly() throws Exception {
    String out = apps.runPod("app", "recipes-connection", Duration.ofMinutes(3), psql(
        "select current_user, (select count(*) from pg_indexes where indexname = 'idx_recipe_embeddings_hnsw'),"
            + " (select ssl from pg_stat_ssl where pid = pg_backend_pid()),"
            + " (select rolsuper or rolcreaterole or rolcreatedb or rolbypassrls from pg_roles where rolname = current_user)"));
    assertThat(apps.secretValue("recipes-connection", "sslmode")).isEqualTo("verify-full");
    assertThat(apps.secretValue("recipes-connection", "host")).startsWith("recipes-pooler");
    assertThat(out.strip()).isEqualTo("app|1|t|f");
  }

  /** An on-demand backup to the S3 in the cluster and a restore test of it: Passed, with the object in the bucket. */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(5)
  void aBackupAndARestoreTestAgainstS3InTheCluster() throws Exception {
    seedUser("ada@example.com", 2);
    apps.apply(BACKUP_POLICY.formatted(BACKUPS, prefix, S3InCluster.ENDPOINT));
    apps.awaitReady("BackupPolicy", "recipes-backups", Duration.ofMinutes(2));
    annotate("BackupPolicy", "recipes-backups", Map.of("databaseunit.dev/backup-now", "first"));
    var backedUp = apps.await("BackupPolicy", "recipes-backups", Duration.ofMinutes(5),
        p -> "first".equals(path(p, "status", "lastOnDemandBackup", "token")));
    assertThat(path(backedUp, "status", "lastOnDemandBackup", "outcome")).as(backedUp.toString()).isEqualTo("Succeeded");
    String objectKey = (String) path(backedUp, "status", "lastBackup", "objectKey");
    assertThat(S3InCluster.objectKeys(cluster, BACKUPS, prefix)).contains(objectKey);

    annotate("BackupPolicy", "recipes-backups", Map.of("databaseunit.dev/restore-test-now", "first"));
    var tested = apps.await("BackupPolicy", "recipes-backups", Duration.ofMinutes(5),
        p -> "first".equals(path(p, "status", "lastOnDemandRestoreTest", "token")));
    assertThat(path(tested, "status", "lastRestoreTest", "outcome")).as(tested.toString()).isEqualTo("Passed");
    assertThat(path(tested, "status", "lastRestoreTest", "rtoMet")).isEqualTo(true);
  }

  /** A maintenance window run now while pgbench runs through the PgBouncer Service: no transaction fails. */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(6)
  void aMaintenanceWindowUnderPgbenchFailsNoTransaction() throws Exception {
    // pgbench's tables are there since aPoolerPodStoppedUnderPgbench
    apps.startPod("pgbench", "recipes-connection", pgbench("-c 4 -j 2 -T 60 -P 10 --max-tries=1"));
    apps.apply(maintenanceWindow("recipes-now", "60s"));
    var window = apps.await("MaintenanceWindow", "recipes-now", Duration.ofMinutes(5),
        w -> path(w, "status", "lastRun", "outcome") != null);
    assertThat(path(window, "status", "lastRun", "outcome")).as(window.toString()).isEqualTo("Succeeded");
    String report = apps.awaitPod("pgbench", Duration.ofMinutes(3));
    assertThat(failedTransactions(report)).as(report).isZero();
    assertThat(processedTransactions(report)).as(report).isPositive();
  }

  /** A GDPR export to S3 in the cluster, then the erasure of the same subject. */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(7)
  void aGdprExportAndAnErasure() throws Exception {
    String userId = seedUser("grace@example.com", 3);
    apps.apply(gdprRequest("export-grace", "Export", userId));
    var exported = apps.await("GdprRequest", "export-grace", Duration.ofMinutes(3), r -> "Completed".equals(path(r, "status", "phase")));
    String location = (String) path(exported, "status", "export", "location");
    String bucketUrl = "s3://" + EXPORTS + "/";
    assertThat(location).startsWith(bucketUrl);
    assertThat(S3InCluster.objectKeys(cluster, EXPORTS, "")).contains(location.substring(bucketUrl.length()));

    apps.apply(gdprRequest("erase-grace", "Erase", userId));
    var erased = apps.await("GdprRequest", "erase-grace", Duration.ofMinutes(3), r -> "Completed".equals(path(r, "status", "phase")));
    assertThat(path(erased, "status", "erasure", "deletedRows", "recipes")).isEqualTo(3);
    assertThat(superuserSql("select count(*) from recipes where user_id = " + userId)).isEqualTo("0");
  }

  /**
   * The leader killed in the middle of a backup: the other replica takes over within the lease time, no partial backup
   * is listed, and the request runs to one completed backup, not two.
   */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(8)
  void theLeaderKilledMidBackup() throws Exception {
    // Enough data that the dump takes a while (random text does not compress); written by the application, as its
    // tables are (a table only the superuser can read would fail the operator's backups).
    apps.runPod("filler", "recipes-connection", Duration.ofMinutes(5), psql("create table if not exists e2e_filler"
        + " (id int primary key, pad text); insert into e2e_filler select g, string_agg(md5(random()::text), '')"
        + " from generate_series(1, 150000) g, generate_series(1, 8) group by g on conflict do nothing"));
    // The default zstd dumps this in about a second; with pg_dump's own zlib the backup lasts long enough to be killed in.
    setSpecField("BackupPolicy", "recipes-backups", "logicalDump", Map.of("compression", "gzip"));
    annotate("BackupPolicy", "recipes-backups", Map.of("databaseunit.dev/backup-now", "killed"));
    var underway = apps.await("BackupPolicy", "recipes-backups", Duration.ofMinutes(2),
        p -> "Dumping".equals(path(p, "status", "inProgress", "phase")) && "killed".equals(path(p, "status", "inProgress", "onDemandToken")));
    String interrupted = (String) path(underway, "status", "inProgress", "id");
    String leader = leader();
    Instant killed = killPod(OPERATOR_NAMESPACE, leader);
    String successor = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .until(() -> leaderSince(killed), l -> l != null && !l.equals(leader));
    Duration takeover = Duration.between(killed, Instant.now());
    System.out.printf("e2e: leader %s killed mid-backup; %s leads after %d s%n", leader, successor, takeover.toSeconds());
    assertThat(takeover).isLessThan(Duration.ofSeconds(45));

    var done = apps.await("BackupPolicy", "recipes-backups", Duration.ofMinutes(8),
        p -> "killed".equals(path(p, "status", "lastOnDemandBackup", "token")));
    assertThat(path(done, "status", "lastOnDemandBackup", "outcome")).as(done.toString()).isEqualTo("Succeeded");
    String backupId = (String) path(done, "status", "lastOnDemandBackup", "backupId");
    assertThat(backupId).isNotEqualTo(interrupted);
    List<String> keys = S3InCluster.objectKeys(cluster, BACKUPS, prefix);
    assertThat(keys).noneMatch(k -> k.contains(interrupted));
    assertThat(keys.stream().filter(k -> k.endsWith("manifest.json")).toList())
        .as("one manifest per backup: the first one and the one of request 'killed'").hasSize(2);
    superuserSql("drop table e2e_filler");
  }

  /** An operator killed while PgBouncer is paused for a drain: the next leader resumes it; the application works again. */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(9)
  void theLeaderKilledMidDrainLeavesPgBouncerResumed() throws Exception {
    // An open transaction through the pooler keeps the drain waiting (PAUSE waits for it).
    apps.startPod("long-transaction", "recipes-connection", psql("begin; select pg_sleep(90); commit;"));
    await().atMost(Duration.ofMinutes(1)).until(() -> superuserSql("select count(*) from pg_stat_activity"
        + " where state = 'active' and query like '%pg_sleep(90)%' and pid <> pg_backend_pid()"), "1"::equals);
    apps.apply(maintenanceWindow("recipes-drain", "120s"));
    apps.await("MaintenanceWindow", "recipes-drain", Duration.ofMinutes(2), w -> "Draining".equals(path(w, "status", "phase")));
    Thread.sleep(3000); // PAUSE has been sent and waits for the open transaction
    killPod(OPERATOR_NAMESPACE, leader());
    var window = apps.await("MaintenanceWindow", "recipes-drain", Duration.ofMinutes(5),
        w -> path(w, "status", "currentRun") == null && path(w, "status", "lastRun", "outcome") != null);
    System.out.printf("e2e: drain cut off by the kill ended as %s (%s)%n", path(window, "status", "lastRun", "outcome"),
        path(window, "status", "lastRun", "reason"));
    assertThat((String) path(window, "status", "lastRun", "reason")).contains("phase Draining");
    // Not paused any more, on either PgBouncer pod: a new client gets through each at once.
    var pods = poolerPods("recipes");
    assertThat(pods).hasSize(2);
    String out = apps.runPod("after-drain", "recipes-connection", Duration.ofMinutes(2), pods.stream()
        .map(p -> psqlAt(p.getStatus().getPodIP(), "select 42")).collect(java.util.stream.Collectors.joining(" && ")));
    assertThat(out.strip().lines()).containsExactly("42", "42");
  }

  /** An operator killed in the middle of an erasure: after the takeover it is complete, exactly once. */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(10)
  void theLeaderKilledMidErasureErasesExactlyOnce() throws Exception {
    String userId = seedUser("erin@example.com", 60000);
    apps.apply(gdprRequest("erase-erin", "Erase", userId));
    apps.await("GdprRequest", "erase-erin", Duration.ofMinutes(2), r -> "Running".equals(path(r, "status", "phase")));
    killPod(OPERATOR_NAMESPACE, leader());
    var erased = apps.await("GdprRequest", "erase-erin", Duration.ofMinutes(5), r -> "Completed".equals(path(r, "status", "phase")));
    assertThat(path(erased, "status", "erasure", "deletedRows", "recipes")).isEqualTo(60000);
    assertThat(superuserSql("select count(*) from recipes where user_id = " + userId)).isEqualTo("0");
    assertThat(superuserSql("select count(*) from gdpr_audit_log where action = 'data_deletion_completed' and subject_hash = '"
        + path(erased, "status", "subjectHash") + "'")).isEqualTo("1");
  }

  /**
   * The PostgreSQL pod deleted while the node takes no new pods (cordoned, as in a drain): the unit reports the outage
   * (Degraded, ManagedPostgresUnavailable) for as long as it lasts, then is Ready again with its data once the pod runs.
   * Without the cordon the StatefulSet's new pod can be ready before any reconcile sees the old one gone.
   */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(11)
  void thePostgresPodDeletedIsReportedAndRecoveredWithItsData() throws Exception {
    String before = superuserSql("select count(*) from recipes");
    String node = client.pods().inNamespace(APPS).withName("recipes-postgres-0").get().getSpec().getNodeName();
    client.nodes().withName(node).edit(n -> {
      n.getSpec().setUnschedulable(true);
      return n;
    });
    try {
      client.pods().inNamespace(APPS).withName("recipes-postgres-0").delete();
      // First, while the old pod terminates, the unit may say DatabaseUnreachable; once the pod is gone, why.
      apps.await("DatabaseUnit", "recipes", Duration.ofMinutes(3), u -> "True".equals(condition(u, "Degraded"))
          && "ManagedPostgresUnavailable".equals(InCluster.conditionField(u, "Degraded", "reason")));
    } finally {
      client.nodes().withName(node).edit(n -> {
        n.getSpec().setUnschedulable(false);
        return n;
      });
    }
    apps.awaitReady("DatabaseUnit", "recipes", READY);
    assertThat(superuserSql("select count(*) from recipes")).isEqualTo(before);
  }

  /** helm upgrade rolls the operator; every resource stays or becomes Ready again. */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(12)
  void helmUpgradeKeepsEverythingReady() throws Exception {
    cluster.helm(Duration.ofMinutes(6), "upgrade", RELEASE, CHART, "--namespace", OPERATOR_NAMESPACE, "--reuse-values",
        "--set", "podAnnotations.e2e/upgraded=yes", "--wait", "--timeout", "5m");
    assertThat(operatorPods()).allSatisfy(p -> assertThat(p.getMetadata().getAnnotations()).containsEntry("e2e/upgraded", "yes"));
    for (var kind : List.of(List.of("DatabaseUnit", "recipes"), List.of("DatabaseUnit", "minimal"), List.of("BackupPolicy", "recipes-backups"))) {
      apps.awaitReady(kind.get(0), kind.get(1), Duration.ofMinutes(3));
    }
  }

  /** helm uninstall removes the operator and keeps the CRDs, the users' resources and the data volumes. */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(13)
  void helmUninstallKeepsTheCrdsAndTheVolumes() throws Exception {
    cluster.helm(Duration.ofMinutes(3), "uninstall", RELEASE, "--namespace", OPERATOR_NAMESPACE, "--wait");
    await().atMost(Duration.ofMinutes(2)).until(() -> operatorPods().isEmpty());
    assertThat(client.apiextensions().v1().customResourceDefinitions().list().getItems())
        .extracting(c -> c.getMetadata().getName())
        .contains("databaseunits.databaseunit.dev", "backuppolicies.databaseunit.dev", "maintenancewindows.databaseunit.dev",
            "gdprrequests.databaseunit.dev");
    assertThat(apps.get("DatabaseUnit", "recipes")).isNotNull();
    assertThat(client.persistentVolumeClaims().inNamespace(APPS).list().getItems()).extracting(c -> c.getMetadata().getName())
        .contains("data-recipes-postgres-0");
  }

  /** The pod network reaches nothing beyond the node: no default route in pods, no NAT rule to the outside. */
  @Test
  @Execution(ExecutionMode.SAME_THREAD)
  @Order(14)
  void thePodNetworkEndsAtTheNode() throws Exception {
    assertThat(cluster.check()).contains("no default route", "ok: NAT: no MASQUERADE/SNAT for pod traffic",
        "ok: forwarding:", "all checks passed");
  }

  // ----- helpers --------------------------------------------------------------------------------------------------

  private String secrets() {
    return """
        apiVersion: v1
        kind: Secret
        metadata: {name: recipes-backup-s3}
        stringData: {accessKeyId: %s, secretAccessKey: %s}
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: recipes-backup-kek}
        stringData: {kek: %s}
        """.formatted(s3.accessKey(), s3.secretKey(), Base64.getEncoder().encodeToString(bytes(32)));
  }

  /** The probe's minimal unit: managed PostgreSQL, pooler and cache, nothing else (samples/minimal-unit.yaml plus both). */
  private static final String MINIMAL_UNIT = """
      apiVersion: databaseunit.dev/v1alpha1
      kind: DatabaseUnit
      metadata: {name: minimal}
      spec:
        postgres:
          managed: {database: app, storageSize: 256Mi}
        pooler: {}
        cache:
          managed: {storageSize: 256Mi}
      """;

  private static final String BACKUP_POLICY = """
      apiVersion: databaseunit.dev/v1alpha1
      kind: BackupPolicy
      metadata: {name: recipes-backups}
      spec:
        databaseUnit: recipes
        suspend: true
        schedules:
          - {tier: daily, cron: "0 0 3 * * ?", timeZone: UTC, window: 1h, retention: 30d}
        storage:
          bucket: %s
          prefix: %s
          endpoint: %s
          credentials: {secretName: recipes-backup-s3}
        encryption:
          keyEncryptionKey: {name: recipes-backup-kek, key: kek}
          keyId: e2e
        restoreTest: {rto: 4h, rpo: 24h}
      """;

  private static String maintenanceWindow(String name, String drainTimeout) {
    return """
        apiVersion: databaseunit.dev/v1alpha1
        kind: MaintenanceWindow
        metadata: {name: %s}
        spec:
          databaseUnit: recipes
          runNow: true
          duration: 30m
          drainTimeout: %s
          onDrainTimeout: kill
          tasks: [SchemaUpdate, OptimizeIndexes, UpdateStatistics, ValidateIntegrity]
          prechecks: {requireReady: true, requireBackupWithin: 24h}
        """.formatted(name, drainTimeout);
  }

  private static String gdprRequest(String name, String type, String subjectId) {
    return """
        apiVersion: databaseunit.dev/v1alpha1
        kind: GdprRequest
        metadata: {name: %s}
        spec: {databaseUnit: recipes, type: %s, subjectId: "%s", requestedBy: dpo@example.com, reason: e2e}
        """.formatted(name, type, subjectId);
  }

  /** psql with the connection Secret's values, verifying the server certificate against its CA. */
  private static String psql(String sql) {
    return "PGPASSWORD=\"$password\" exec psql \"host=$host port=$port dbname=$database user=$username sslmode=verify-full "
        + "sslrootcert=/secret/ca.crt\" -v ON_ERROR_STOP=1 -tA -c \"" + sql.replace("\"", "\\\"") + "\"";
  }

  /** psql to one pod: connects to its address and still verifies the certificate for the Service's name. */
  private static String psqlAt(String podAddress, String sql) {
    return "PGPASSWORD=\"$password\" psql \"host=$host hostaddr=" + podAddress + " port=$port dbname=$database user=$username"
        + " sslmode=verify-full sslrootcert=/secret/ca.crt connect_timeout=10\" -v ON_ERROR_STOP=1 -tA -c \"" + sql + "\"";
  }

  private List<Pod> poolerPods(String unit) {
    return client.pods().inNamespace(APPS).withLabel("app.kubernetes.io/instance", unit + "-pooler").list().getItems();
  }

  /**
   * Both PgBouncer pods ready and no other (none terminating), and the unit's PodDisruptionBudget allowing one
   * disruption again: the state the steps after a pooler disruption start from.
   */
  private void awaitPoolerAvailable(String unit) {
    await().atMost(Duration.ofMinutes(3)).untilAsserted(() -> {
      assertThat(poolerPods(unit)).hasSize(2).allMatch(OperatorOnLocalClusterE2E::isReady)
          .allMatch(p -> p.getMetadata().getDeletionTimestamp() == null);
      var budget = client.policy().v1().podDisruptionBudget().inNamespace(APPS).withName(unit + "-pooler").get();
      assertThat(budget).as("the pooler's PodDisruptionBudget").isNotNull();
      assertThat(budget.getStatus()).as("the budget's status").isNotNull();
      assertThat(budget.getStatus().getDisruptionsAllowed()).as("disruptions allowed").isEqualTo(1);
    });
  }

  private static final int PGBENCH_CLIENTS = 8;

  /** What a pgbench run reported, and its exit status. */
  private record PgbenchRun(int exitStatus, long processed, long failed, long abortedClients, String report) {
    static PgbenchRun of(String report) {
      long aborted = Pattern.compile("client (\\d+) aborted").matcher(report).results().map(m -> m.group(1)).distinct().count();
      return new PgbenchRun((int) number(report, "pgbench exit status (\\d+)"), processedTransactions(report),
          failedTransactions(report), aborted, report);
    }

    @Override
    public String toString() {
      return "%d transactions processed, %d failed, %d of %d clients aborted, exit status %d"
          .formatted(processed, failed, abortedClients, PGBENCH_CLIENTS, exitStatus);
    }
  }

  /**
   * pgbench through the pooler Service (a new connection per transaction, 30 s) with one PgBouncer pod disrupted once
   * the run is under way (its first progress line); the run goes to its end whatever pgbench's exit status.
   */
  private PgbenchRun pgbenchWhile(String name, ThrowingConsumer<String> disruptPod) {
    awaitPoolerAvailable("recipes");
    apps.startPod(name, "recipes-connection", pgbenchCommand("", "-c " + PGBENCH_CLIENTS + " -j 2 -T 30 -C -P 5")
        + "; echo \"pgbench exit status $?\"");
    await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofMillis(500)).alias(name + " under way")
        .ignoreExceptions().until(() -> client.pods().inNamespace(APPS).withName(name).getLog(), log -> log.contains("progress:"));
    disruptPod.accept(poolerPods("recipes").getFirst().getMetadata().getName());
    return PgbenchRun.of(apps.awaitPod(name, Duration.ofMinutes(3)));
  }

  private static String pgbench(String args) {
    return pgbenchCommand("exec", args);
  }

  /**
   * pgbench against the unit's database with the connection Secret's values, verifying the pooler's certificate.
   *
   * @param prefix what precedes the pgbench command ("exec", or "" to run commands after it)
   */
  private static String pgbenchCommand(String prefix, String args) {
    return "export PGPASSWORD=\"$password\" PGSSLMODE=verify-full PGSSLROOTCERT=/secret/ca.crt; "
        + prefix + " pgbench -h \"$host\" -p \"$port\" -U \"$username\" " + args + " \"$database\"";
  }

  /** SQL as the managed superuser, in the PostgreSQL pod over its local socket. */
  private String superuserSql(String sql) throws Exception {
    return cluster.kubectl("exec", "-n", APPS, "recipes-postgres-0", "-c", "postgres", "--", "psql", "-h", "/var/run/postgresql",
        "-U", apps.secretValue("recipes-postgres-superuser", "username"), "-d", "recipes", "-v", "ON_ERROR_STOP=1", "-tAq", "-c", sql)
        .strip();
  }

  /** A user with {@code recipes} recipes; returns their id. */
  private String seedUser(String email, int recipes) throws Exception {
    String id = superuserSql("insert into users (email, display_name) values ('" + email + "', 'e2e') returning id");
    superuserSql("insert into recipes (user_id, title) select " + id + ", 'recipe ' || g from generate_series(1, " + recipes + ") g");
    return id;
  }

  private void annotate(String kind, String name, Map<String, String> annotations) {
    Conflicts.retry(() -> client.genericKubernetesResources("databaseunit.dev/v1alpha1", kind).inNamespace(APPS).withName(name)
        .edit(r -> {
          r.getMetadata().setAnnotations(new java.util.HashMap<>(r.getMetadata().getAnnotations() != null
              ? r.getMetadata().getAnnotations() : Map.of()));
          r.getMetadata().getAnnotations().putAll(annotations);
          return r;
        }));
  }

  @SuppressWarnings("unchecked")
  private void setSpecField(String kind, String name, String field, Object value) {
    Conflicts.retry(() -> client.genericKubernetesResources("databaseunit.dev/v1alpha1", kind).inNamespace(APPS).withName(name)
        .edit(r -> {
          ((Map<String, Object>) r.getAdditionalProperties().get("spec")).put(field, value);
          return r;
        }));
  }

  private List<Pod> operatorPods() {
    return client.pods().inNamespace(OPERATOR_NAMESPACE).withLabel("app.kubernetes.io/name", "databaseunit-operator").list().getItems()
        .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
  }

  /** The pod holding the operator's leader Lease. */
  private String leader() {
    Lease lease = client.leases().inNamespace(OPERATOR_NAMESPACE).withName(LEADER_LEASE).get();
    return lease != null && lease.getSpec() != null ? lease.getSpec().getHolderIdentity() : null;
  }

  /**
   * Kills a pod as a crash on a lost node would: its containers SIGKILLed through containerd (no SIGTERM, no shutdown
   * hook: an operator's run left in status as it was, PgBouncer's connections cut), then the pod force-deleted
   * (`--grace-period=0 --force`), so its controller must replace it. A pod deletion alone sends SIGTERM first and takes
   * the orderly path. Returns when.
   */
  private Instant killPod(String namespace, String name) throws Exception {
    Instant now = Instant.now();
    cluster.sigkill(namespace, name);
    client.pods().inNamespace(namespace).withName(name).withGracePeriod(0).delete();
    return now;
  }

  /** The replica that renewed the leader Lease after the given instant: someone leads again. */
  private String leaderSince(Instant since) {
    Lease lease = client.leases().inNamespace(OPERATOR_NAMESPACE).withName(LEADER_LEASE).get();
    if (lease == null || lease.getSpec() == null || lease.getSpec().getRenewTime() == null) {
      return null;
    }
    return lease.getSpec().getRenewTime().toInstant().isAfter(since) ? lease.getSpec().getHolderIdentity() : null;
  }

  private static boolean isReady(Pod pod) {
    return pod.getStatus() != null && pod.getStatus().getConditions() != null
        && pod.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static long failedTransactions(String pgbenchReport) {
    return number(pgbenchReport, "number of failed transactions: (\\d+)");
  }

  private static long processedTransactions(String pgbenchReport) {
    return number(pgbenchReport, "number of transactions actually processed: (\\d+)");
  }

  private static long number(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    assertThat(m.find()).as("%s in:%n%s", regex, text).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static String random(int n) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(n)).replaceAll("[-_]", "x");
  }
}
