package dev.databaseunit.operator.managed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.testing.TestClock;
import io.fabric8.kubernetes.api.model.Container;
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
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
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
  private final String password = HexFormat.of().formatHex(randomBytes());
  private Path dir;
  private Process running;

  private static byte[] randomBytes() {
    byte[] bytes = new byte[16];
    ThreadLocalRandom.current().nextBytes(bytes);
    return bytes;
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
    int port = freePort();

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
    assertThat(commandLinesOfPostgres()).isNotEmpty().noneMatch(line -> line.contains(password));
    assertThat(Files.exists(dir.resolve("tmp/superuser-password"))).isFalse();

    stopServer();
    String secondLog = startServer(port);
    assertThat(secondLog).doesNotContain("initialised");
    try (Connection c = connect(port, "require", password); var s = c.createStatement()) {
      assertThat(s.executeQuery("SELECT count(*) FROM kept").next()).isTrue();
    }
    assertThat(firstLog + secondLog).doesNotContain(password);
  }

  /** Starts the rendered command and waits until it accepts TLS logins; returns its output so far. */
  private String startServer(int port) throws Exception {
    Container container = ManagedPostgresResources.statefulSet(ManagedPostgresResourcesTest.unit()).getSpec().getTemplate().getSpec().getContainers().getFirst();
    List<String> command = new ArrayList<>();
    if (ROOT) {
      command.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    command.addAll(container.getCommand());
    for (String arg : container.getArgs()) {
      command.add(arg.replace("/tls/", dir.resolve("tls") + "/").replace("/var/run/postgresql", dir.resolve("run").toString())
          .replace("listen_addresses=*", "listen_addresses=127.0.0.1"));
    }
    command.addAll(List.of("-c", "port=" + port));
    var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("server.log").toFile());
    Map<String, String> env = builder.environment();
    env.put("PATH", postgresBinaries() + ":/usr/bin:/bin");
    env.put("TMPDIR", dir.resolve("tmp").toString());
    env.put("POSTGRES_USER", "postgres");
    env.put("POSTGRES_PASSWORD", password);
    env.put("POSTGRES_DB", container.getEnv().get(2).getValue());
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

  private static Connection connect(int port, String sslMode, String password) throws SQLException {
    var properties = new Properties();
    properties.setProperty("user", "postgres");
    properties.setProperty("password", password);
    properties.setProperty("sslmode", sslMode);
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/orders", properties);
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
