package dev.databaseunit.operator.managed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec;
import dev.databaseunit.operator.backup.PostgresTools;
import dev.databaseunit.operator.common.EgressPolicy;
import dev.databaseunit.operator.gdpr.GdprService;
import dev.databaseunit.operator.gdpr.SubjectEraser;
import dev.databaseunit.operator.gdpr.SubjectKey;
import dev.databaseunit.operator.gdpr.SubjectPlan;
import dev.databaseunit.operator.postgres.CaCertificates;
import dev.databaseunit.operator.postgres.DatabaseTimeouts;
import dev.databaseunit.operator.postgres.PostgresTarget;
import dev.databaseunit.operator.postgres.PostgresTargets;
import dev.databaseunit.operator.testing.TestClock;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Secret;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.postgresql.ds.PGSimpleDataSource;
import org.junit.jupiter.api.Test;

/**
 * The managed PostgreSQL container's command, run for real with this machine's PostgreSQL binaries instead of in a
 * pod: the rendered command, arguments and environment, with the pod's paths moved into a scratch directory. The
 * first start initialises the cluster (TLS-only network access, the database), a second start with the same data
 * only runs postgres, and the password is on no command line and in no log. As root, it runs as the postgres OS user,
 * like the image's uid 999.
 */
class ManagedPostgresStartIT {
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
  private final DatabaseUnit unit = ManagedPostgresResourcesTest.unit();
  /** The Secrets the operator creates, by name: the container's environment refers to them. */
  private final Map<String, Secret> secrets = Stream.of(ManagedPostgresResources.superuserSecret(unit),
      ManagedPostgresResources.operatorSecret(unit), ManagedPostgresResources.applicationSecret(unit))
      .collect(Collectors.toMap(s -> s.getMetadata().getName(), s -> s));
  private final Login superuser = login(PostgresTargets.managedSuperuserSecret("shop"));
  private final Login operator = login(PostgresTargets.managedOperatorSecret("shop"));
  private final Login app = login(PostgresTargets.managedApplicationSecret("shop"));
  private final String password = superuser.password();
  private Path dir;
  private Process running;
  private int port;

  /** A role's name and password, as its Secret holds them. */
  private record Login(String user, String password) {}

  private Login login(String secretName) {
    Secret secret = secrets.get(secretName);
    return new Login(secret.getStringData().get("username"), secret.getStringData().get("password"));
  }

  @AfterEach
  void stop() throws Exception {
    stopServer();
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  @Test
  void initialisesOnceWithTlsOnlyNetworkAccessThenJustRunsPostgres() throws Exception {
    initialise();

    String firstLog = startServer(port);
    assertThat(firstLog).contains("database cluster initialised in " + dir.resolve("data/pgdata"));
    try (Connection c = connect(port, "require", password); var s = c.createStatement()) {
      var rs = s.executeQuery("SELECT current_database(), (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())");
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("orders");
      assertThat(rs.getBoolean(2)).isTrue();
      s.execute("CREATE TABLE kept (id int)");
    }
    assertThatThrownBy(() -> connect(port, "disable", password)).isInstanceOf(SQLException.class)
        .hasMessageContaining("no pg_hba.conf entry");
    assertThatThrownBy(() -> connect(port, "require", "wrong")).isInstanceOf(SQLException.class)
        .hasMessageContaining("password authentication failed");
    assertThat(commandLinesOfPostgres()).isNotEmpty().noneMatch(line -> line.contains(password)
        || line.contains(operator.password()) || line.contains(app.password()));
    assertThat(Files.exists(dir.resolve("tmp/superuser-password"))).isFalse();
    long postmaster = Long.parseLong(Files.readAllLines(dir.resolve("data/pgdata/postmaster.pid")).getFirst().trim());
    assertThat(Files.readString(Path.of("/proc/" + postmaster + "/environ")).split("\0"))
        .as("the server's environment").noneMatch(v -> v.contains(password) || v.contains(operator.password())
            || v.contains(app.password()));

    stopServer();
    String secondLog = startServer(port);
    assertThat(secondLog).doesNotContain("initialised");
    try (Connection c = connect(port, "require", password); var s = c.createStatement()) {
      assertThat(s.executeQuery("SELECT count(*) FROM kept").next()).isTrue();
    }
    assertThat(firstLog + secondLog).doesNotContain(password).doesNotContain(operator.password()).doesNotContain(app.password());
  }

  /**
   * The roles the start script makes: the application's role has no attribute beyond LOGIN and can use what the
   * operator's role creates but not alter it; the operator's role owns the database and its schema, may create
   * databases (restore tests), sees and ends every session, and acts on the application's own objects.
   */
  @Test
  void theApplicationAndOperatorRolesHaveOnlyWhatTheyNeed() throws Exception {
    initialise();
    startServer(port);

    try (Connection c = connect(port, superuser); var s = c.createStatement()) {
      var rs = s.executeQuery("SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication, rolcanlogin "
          + "FROM pg_roles WHERE rolname = '" + app.user() + "'");
      assertThat(rs.next()).isTrue();
      assertThat(List.of(rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5), rs.getBoolean(6)))
          .containsExactly(false, false, false, false, false, true);
      rs = s.executeQuery("SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication, "
          + "pg_has_role(rolname, 'pg_monitor', 'USAGE'), pg_has_role(rolname, 'pg_signal_backend', 'USAGE'), "
          + "pg_has_role(rolname, '" + app.user() + "', 'USAGE'), pg_has_role('" + app.user() + "', rolname, 'MEMBER'), "
          + "(SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'orders'), "
          + "(SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public') "
          + "FROM pg_roles WHERE rolname = '" + operator.user() + "'");
      assertThat(rs.next()).isTrue();
      assertThat(List.of(rs.getBoolean(1), rs.getBoolean(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5),
          rs.getBoolean(6), rs.getBoolean(7), rs.getBoolean(8), rs.getBoolean(9)))
          .containsExactly(false, false, true, false, false, true, true, true, false);
      assertThat(rs.getString(10)).isEqualTo(operator.user());
      assertThat(rs.getString(11)).isEqualTo(operator.user());
      rs = s.executeQuery("SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname <> 'plpgsql'");
      rs.next();
      assertThat(rs.getString(1)).contains("amcheck", "pg_stat_statements", "pgstattuple");
    }
    try (Connection c = connect(port, operator); var s = c.createStatement()) {
      s.execute("CREATE TABLE migrated (id serial PRIMARY KEY, name text)");
    }
    try (Connection c = connect(port, app); var s = c.createStatement()) {
      s.execute("INSERT INTO migrated (name) VALUES ('a')");
      s.execute("UPDATE migrated SET name = 'b'");
      assertThat(s.executeQuery("SELECT nextval('migrated_id_seq')").next()).isTrue();
      s.execute("DELETE FROM migrated");
      s.execute("CREATE TABLE own (id int)");
      assertThatThrownBy(() -> s.execute("DROP TABLE migrated")).hasMessageContaining("must be owner");
      assertThatThrownBy(() -> s.execute("ALTER TABLE migrated ADD COLUMN x int")).hasMessageContaining("must be owner");
      assertThatThrownBy(() -> s.execute("CREATE DATABASE other")).hasMessageContaining("permission denied");
      assertThatThrownBy(() -> s.execute("CREATE ROLE other")).hasMessageContaining("permission denied");
      assertThatThrownBy(() -> s.execute("SET ROLE " + operator.user())).hasMessageContaining("permission denied");
    }
    try (Connection c = connect(port, operator); var s = c.createStatement()) {
      s.execute("CREATE INDEX ON own (id)"); // the application's own table, through membership
      // what maintenance and restore tests call: amcheck (granted to nobody by default), pgstattuple (pg_monitor)
      assertThat(s.executeQuery("SELECT bt_index_check('migrated_pkey'::regclass)").next()).isTrue();
      assertThat(s.executeQuery("SELECT avg_leaf_density FROM pgstatindex('migrated_pkey'::regclass)").next()).isTrue();
      s.execute("REINDEX INDEX CONCURRENTLY migrated_pkey");
      s.execute("CREATE DATABASE scratch_restore");
    }
    restoreAsTheOperator("scratch_restore");
    try (Connection c = connect(port, "require", operator.user(), operator.password(), "scratch_restore");
        var s = c.createStatement()) {
      assertThat(s.executeQuery("SELECT FROM migrated").next()).isFalse();
      assertThat(s.executeQuery("SELECT FROM pg_extension WHERE extname = 'pgstattuple'").next()).isTrue();
      assertThat(s.executeQuery("SELECT bt_index_check('migrated_pkey'::regclass)").next()).isTrue();
    }
  }

  /**
   * A restore test's work as the operator's role: pg_dump of the database (its extensions, which only a superuser
   * may create, included) restored into a scratch database the role created.
   */
  private void restoreAsTheOperator(String scratch) throws Exception {
    var tools = new PostgresTools(CaCertificates.inTempDirectory(), null, EgressPolicy.DEFAULT, DatabaseTimeouts.DEFAULT);
    var source = new PostgresTarget("127.0.0.1", port, "orders", operator.user(), operator.password(), PostgresTls.Mode.REQUIRE, null);
    try (Connection snapshotHolder = connect(port, operator); var s = snapshotHolder.createStatement()) {
      snapshotHolder.setAutoCommit(false);
      s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      var rs = s.executeQuery("SELECT pg_export_snapshot()");
      rs.next();
      try (var dump = tools.dump(source, rs.getString(1), BackupPolicySpec.Compression.GZIP, Duration.ofMinutes(1));
          var restore = tools.restoreInOneTransaction(source.withDatabase(scratch), PostgresTools.RestoreSession.of(null), Duration.ofMinutes(1))) {
        restore.feed(dump.process().getInputStream(), false);
        dump.awaitSuccess();
      }
    }
  }

  /**
   * A data directory of a version that ran everything as the superuser: no roles, all objects the superuser's. The
   * next start makes the roles and gives those objects to the operator's role, with DML for the application except on
   * the GDPR tables.
   */
  @Test
  void aDataDirectoryOfAnEarlierVersionGetsTheRolesOnItsNextStart() throws Exception {
    initialise();
    startServer(port);
    try (Connection c = connect(port, "require", superuser.user(), superuser.password(), "template1");
        var s = c.createStatement()) {
      s.execute("DROP OWNED BY " + operator.user()); // its grants on amcheck there
    }
    try (Connection c = connect(port, superuser); var s = c.createStatement()) {
      s.execute("REASSIGN OWNED BY " + operator.user() + ", " + app.user() + " TO " + superuser.user());
      s.execute("DROP OWNED BY " + operator.user());
      s.execute("DROP OWNED BY " + app.user());
      s.execute("DROP ROLE " + app.user());
      s.execute("DROP ROLE " + operator.user());
      s.execute("ALTER SCHEMA public OWNER TO pg_database_owner");
      s.execute("CREATE TABLE recipes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text)");
      s.execute("CREATE TABLE notes (id serial PRIMARY KEY)");
      s.execute("CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$");
      s.execute("CREATE TYPE mood AS ENUM ('ok')");
      s.execute("CREATE VIEW recipe_titles AS SELECT title FROM recipes");
      s.execute("CREATE TABLE gdpr_erasure_ledger (request_uid text PRIMARY KEY)");
      s.execute("CREATE SCHEMA billing");
      s.execute("CREATE TABLE billing.invoices (id int)");
    }
    stopServer();
    startServer(port);

    try (Connection c = connect(port, superuser); var s = c.createStatement()) {
      var rs = s.executeQuery("SELECT string_agg(DISTINCT pg_get_userbyid(owner), ',') FROM ("
          + "SELECT relowner AS owner FROM pg_class WHERE relname IN ('recipes', 'recipes_id_seq', 'notes', 'notes_id_seq', "
          + "'recipe_titles', 'gdpr_erasure_ledger', 'invoices') UNION ALL SELECT proowner FROM pg_proc WHERE proname = 'touch' "
          + "UNION ALL SELECT typowner FROM pg_type WHERE typname = 'mood' "
          + "UNION ALL SELECT nspowner FROM pg_namespace WHERE nspname IN ('public', 'billing')) o");
      rs.next();
      assertThat(rs.getString(1)).isEqualTo(operator.user());
    }
    try (Connection c = connect(port, app); var s = c.createStatement()) {
      s.execute("INSERT INTO recipes (title) VALUES ('soup')");
      s.execute("INSERT INTO notes DEFAULT VALUES");
      assertThat(s.executeQuery("SELECT * FROM recipe_titles").next()).isTrue();
      s.execute("INSERT INTO billing.invoices VALUES (1)");
      assertThatThrownBy(() -> s.execute("SELECT * FROM gdpr_erasure_ledger")).hasMessageContaining("permission denied");
    }
  }

  /**
   * The GDPR tables as the operator's code makes them, through the operator's role: the application's role cannot
   * disable the audit log's trigger, change or remove its rows, drop or alter any of the tables, nor become or alter
   * their owner; the operator's role still appends.
   */
  @Test
  void theApplicationCannotTamperWithTheGdprTables() throws Exception {
    initialise();
    startServer(port);
    try (Connection c = connect(port, operator); var s = c.createStatement()) {
      s.execute("CREATE TABLE customers (id bigint PRIMARY KEY)");
    }
    var asOperator = new PGSimpleDataSource();
    asOperator.setUrl("jdbc:postgresql://127.0.0.1:" + port + "/orders?sslmode=require");
    asOperator.setUser(operator.user());
    asOperator.setPassword(operator.password());
    var service = new GdprService(TestClock.startingNow(), SubjectEraser.DeletionListener.NONE);
    var plan = new SubjectPlan(List.of(new SubjectPlan.SubjectTable("customers", "id", null)), SubjectPlan.DEFAULT_AUDIT_TABLE);
    var prepared = service.prepare(asOperator, plan, SubjectKey.fromBase64(SubjectKey.newBase64()));
    service.requested(asOperator, prepared, new GdprService.Request("r-1", "42", "dpo@example.com", "Art. 17"), true);
    try (Connection c = connect(port, app); var s = c.createStatement()) {
      s.execute("CREATE TABLE own (id int)"); // the application may create tables of its own, just not touch these
      for (String sql : List.of(
          "ALTER TABLE gdpr_audit_log DISABLE TRIGGER append_only", "ALTER TABLE gdpr_audit_log DISABLE TRIGGER ALL",
          "DROP TRIGGER append_only ON gdpr_audit_log", "CREATE OR REPLACE FUNCTION gdpr_audit_log_append_only() "
              + "RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$",
          "DELETE FROM gdpr_audit_log", "UPDATE gdpr_audit_log SET outcome = 'forged'", "TRUNCATE gdpr_audit_log",
          "INSERT INTO gdpr_audit_log (action, request_uid, subject_hash, actor, outcome) VALUES ('x', 'x', 'x', 'x', 'x')",
          "SELECT setval(pg_get_serial_sequence('gdpr_audit_log', 'id'), 1)",
          "DROP TABLE gdpr_audit_log", "ALTER TABLE gdpr_audit_log RENAME TO forgotten", "ALTER TABLE gdpr_audit_log OWNER TO app",
          "DELETE FROM gdpr_erasure_ledger", "UPDATE gdpr_erasure_ledger SET subject_hash = 'x'", "DROP TABLE gdpr_erasure_ledger",
          "ALTER TABLE gdpr_erasure_ledger ADD COLUMN x int", "SELECT * FROM gdpr_erasure_ledger",
          "SELECT salt FROM gdpr_subject_salt", "UPDATE gdpr_subject_salt SET salt = 'x'", "DROP TABLE gdpr_subject_salt",
          "ALTER SCHEMA public RENAME TO moved", "DROP SCHEMA public CASCADE",
          "SET ROLE " + operator.user(), "ALTER ROLE " + operator.user() + " PASSWORD 'taken'",
          "GRANT " + operator.user() + " TO " + app.user())) {
        assertThatThrownBy(() -> s.execute(sql)).as(sql).isInstanceOf(SQLException.class)
            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).as(sql).isIn("42501", "0LP01"));
      }
    }
    service.requested(asOperator, prepared, new GdprService.Request("r-2", "43", "dpo@example.com", "Art. 17"), true);
    try (Connection c = connect(port, operator); var s = c.createStatement()) {
      var rs = s.executeQuery("SELECT count(*), bool_and(outcome = 'accepted') FROM gdpr_audit_log");
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(2);
      assertThat(rs.getBoolean(2)).isTrue();
    }
  }

  private void initialise() throws Exception {
    dir = Files.createTempDirectory(Path.of("/var/tmp"), "du-managed-pg-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    for (String sub : List.of("data", "tmp", "run", "tls")) {
      Files.createDirectories(dir.resolve(sub));
    }
    var tls = ServerCertificates.tlsSecret(new io.fabric8.kubernetes.api.model.ObjectMeta(), List.of("localhost"),
        TestClock.startingNow().instant());
    for (var file : tls.getStringData().entrySet()) {
      Files.writeString(dir.resolve("tls").resolve(file.getKey()), file.getValue());
    }
    Files.setPosixFilePermissions(dir.resolve("tls/tls.key"), PosixFilePermissions.fromString("rw-------"));
    if (ROOT) {
      run("chown", "-R", "postgres", dir.toString());
    }
    port = freePort();
  }

  /**
   * A command or argument as the kubelet passes it to the runtime: "$$" becomes "$", "$(NAME)" the value of a variable the
   * container declares (left as written otherwise), any other "$" stays.
   */
  private static String kubeletExpanded(String in, Map<String, String> declared) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < in.length(); i++) {
      char c = in.charAt(i);
      if (c == '$' && i + 1 < in.length() && in.charAt(i + 1) == '$') {
        out.append('$');
        i++;
      } else if (c == '$' && i + 1 < in.length() && in.charAt(i + 1) == '(' && in.indexOf(')', i) > 0) {
        int end = in.indexOf(')', i);
        String name = in.substring(i + 2, end);
        out.append(declared.getOrDefault(name, in.substring(i, end + 1)));
        i = end;
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /** Starts the rendered command and waits until it accepts TLS logins; returns its output so far. */
  private String startServer(int port) throws Exception {
    Container container = ManagedPostgresResources.statefulSet(unit).getSpec().getTemplate().getSpec().getContainers().getFirst();
    List<String> command = new ArrayList<>();
    if (ROOT) {
      command.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    Map<String, String> declared = new java.util.HashMap<>();
    container.getEnv().stream().filter(v -> v.getValue() != null).forEach(v -> declared.put(v.getName(), v.getValue()));
    container.getCommand().forEach(part -> command.add(kubeletExpanded(part, declared)));
    for (String arg : container.getArgs()) {
      command.add(kubeletExpanded(arg, declared).replace("/tls/", dir.resolve("tls") + "/").replace("/var/run/postgresql", dir.resolve("run").toString())
          .replace("listen_addresses=*", "listen_addresses=127.0.0.1"));
    }
    command.addAll(List.of("-c", "port=" + port));
    var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile());
    Map<String, String> env = builder.environment();
    env.put("PATH", postgresBinaries() + ":/usr/bin:/bin");
    env.put("TMPDIR", dir.resolve("tmp").toString());
    for (EnvVar var : container.getEnv()) {
      env.put(var.getName(), var.getValueFrom() == null ? var.getValue()
          : secrets.get(var.getValueFrom().getSecretKeyRef().getName()).getStringData().get(var.getValueFrom().getSecretKeyRef().getKey()));
    }
    env.put("PGDATA", dir.resolve("data/pgdata").toString());
    running = builder.start();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .failFast(() -> !running.isAlive())
        .until(() -> {
          try (Connection c = connect(port, "require", password)) {
            return true;
          }
        });
    return Files.readString(dir.resolve("server.log"));
  }

  /** A smart shutdown of the postmaster (its pid is the first line of postmaster.pid), as a pod's stop would. */
  private void stopServer() throws Exception {
    Path pidFile = dir == null ? null : dir.resolve("data/pgdata/postmaster.pid");
    if (pidFile != null && Files.exists(pidFile)) {
      long pid = Long.parseLong(Files.readAllLines(pidFile).getFirst().trim());
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
    }
    if (running != null) {
      running.waitFor(30, TimeUnit.SECONDS);
      running = null;
    }
  }

  private static Connection connect(int port, Login login) throws SQLException {
    return connect(port, "require", login.user(), login.password());
  }

  private static Connection connect(int port, String sslMode, String password) throws SQLException {
    return connect(port, sslMode, "postgres", password);
  }

  private static Connection connect(int port, String sslMode, String user, String password) throws SQLException {
    return connect(port, sslMode, user, password, "orders");
  }

  private static Connection connect(int port, String sslMode, String user, String password, String database) throws SQLException {
    var properties = new Properties();
    properties.setProperty("user", user);
    properties.setProperty("password", password);
    properties.setProperty("sslmode", sslMode);
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, properties);
  }

  private List<String> commandLinesOfPostgres() throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String line = Files.readString(proc.resolve("cmdline")).replace('\0', ' ');
          if (line.contains(dir.toString())) {
            lines.add(line);
          }
        } catch (IOException gone) {
          // the process ended while we looked
        }
      }
    }
    return lines;
  }

  /** The newest PostgreSQL of the machine (scripts/install-deps.sh installs it). */
  private static String postgresBinaries() throws IOException {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(java.util.Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString())))
          .orElseThrow().toString();
    }
  }

  private static int freePort() throws IOException {
    try (var socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private static void run(String... command) throws Exception {
    var process = new ProcessBuilder(command).inheritIO().start();
    assertThat(process.waitFor()).isZero();
  }
}
