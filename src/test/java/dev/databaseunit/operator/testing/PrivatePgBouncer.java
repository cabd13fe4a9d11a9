package dev.databaseunit.operator.testing;

import dev.databaseunit.operator.pool.PgBouncerIni;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A PgBouncer of a test's own (own ini, port, userlist and log in a temp dir) in front of the shared local
 * PostgreSQL, for tests that resize pools or restart PgBouncer: the shared one on the services port is used by
 * everyone else's tests. Runs as the {@code postgres} OS user when the tests run as root (PgBouncer refuses
 * root). Transaction pooling, SCRAM-SHA-256 for clients like the shared one, a random admin password.
 */
public final class PrivatePgBouncer implements AutoCloseable {
  public static final String ADMIN_USER = "pool_admin";
  private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

  private final LocalServices services;
  private final Path dir;
  private final int port;
  private final String adminUser;
  private final String adminPassword;
  private final String authType;
  /** A shell script PgBouncer runs under in the foreground, as a container's command; null: a daemon. */
  private final String wrapper;
  private Long pid;
  private Process wrapperProcess;

  private PrivatePgBouncer(LocalServices services, Path dir, int port, String adminUser, String adminPassword, String authType,
      String wrapper) {
    this.services = services;
    this.adminUser = adminUser;
    this.dir = dir;
    this.port = port;
    this.adminPassword = adminPassword;
    this.authType = authType;
    this.wrapper = wrapper;
  }

  /** Starts one with default_pool_size = initialPoolSize and the given max_client_conn. */
  public static PrivatePgBouncer start(int initialPoolSize, int maxClientConnections) {
    byte[] random = new byte[12];
    ThreadLocalRandom.current().nextBytes(random);
    return start(initialPoolSize, maxClientConnections, HexFormat.of().formatHex(random));
  }

  /** With a given admin password, written to the userlist by the operator's own renderer. */
  public static PrivatePgBouncer start(int initialPoolSize, int maxClientConnections, String adminPassword) {
    return start(initialPoolSize, maxClientConnections, ADMIN_USER, adminPassword, "scram-sha-256");
  }

  /** With the admin user a managed pooler has (the operator logs in to it as PgBouncerResources.ADMIN_USER). */
  public static PrivatePgBouncer start(int initialPoolSize, int maxClientConnections, String adminUser, String adminPassword) {
    return start(initialPoolSize, maxClientConnections, adminUser, adminPassword, "scram-sha-256");
  }

  /** With another PgBouncer auth_type (md5, plain) for clients, to see what a client sends when asked for it. */
  public static PrivatePgBouncer withAuthType(String authType) {
    byte[] random = new byte[12];
    ThreadLocalRandom.current().nextBytes(random);
    return start(10, 100, ADMIN_USER, HexFormat.of().formatHex(random), authType);
  }

  /**
   * In the foreground under {@code sh -c <script> pgbouncer <pgbouncer> <ini>}, as the managed pooler's container runs it;
   * {@link #wrapperProcess()} is that sh (as root, setpriv execs it as the postgres user: the same process).
   */
  public static PrivatePgBouncer underWrapper(String script) {
    byte[] random = new byte[12];
    ThreadLocalRandom.current().nextBytes(random);
    return start(10, 100, ADMIN_USER, HexFormat.of().formatHex(random), "scram-sha-256", script);
  }

  private static PrivatePgBouncer start(int initialPoolSize, int maxClientConnections, String adminUser, String adminPassword,
      String authType) {
    return start(initialPoolSize, maxClientConnections, adminUser, adminPassword, authType, null);
  }

  private static PrivatePgBouncer start(int initialPoolSize, int maxClientConnections, String adminUser, String adminPassword,
      String authType, String wrapper) {
    try {
      Path dir = Files.createTempDirectory(Path.of("/var/tmp"), "du-pgbouncer-");
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
      var bouncer = new PrivatePgBouncer(LocalServices.get(), dir, freePort(), adminUser, adminPassword, authType, wrapper);
      bouncer.writeConfig(initialPoolSize, maxClientConnections);
      bouncer.launch();
      return bouncer;
    } catch (IOException e) {
      throw new IllegalStateException("Cannot prepare a private PgBouncer", e);
    }
  }

  /**
   * This machine's first non-loopback IPv4 address, where the PgBouncer listens too: an EndpointSlice may not name a
   * loopback address, so the pooler ITs write this one into the slices that stand in for pods.
   */
  public static String podAddress() {
    try {
      return java.util.Collections.list(java.net.NetworkInterface.getNetworkInterfaces()).stream()
          .flatMap(i -> java.util.Collections.list(i.getInetAddresses()).stream())
          .filter(a -> a instanceof java.net.Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress())
          .map(java.net.InetAddress::getHostAddress).sorted().findFirst()
          .orElseThrow(() -> new IllegalStateException("this machine has no non-loopback IPv4 address"));
    } catch (java.net.SocketException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A loopback port nothing listens on at the moment of asking. */
  public static int freePort() throws IOException {
    try (var socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  private void writeConfig(int initialPoolSize, int maxClientConnections) throws IOException {
    Path userlist = dir.resolve("userlist.txt");
    Files.writeString(userlist, PgBouncerIni.userlistLine(services.postgresUser(), services.postgresPassword())
        + PgBouncerIni.userlistLine(adminUser, adminPassword));
    Files.writeString(dir.resolve("pgbouncer.ini"), String.join("\n",
        "[databases]",
        "* = host=" + services.postgresHost() + " port=" + services.postgresPort(),
        "[pgbouncer]",
        "listen_addr = 127.0.0.1," + podAddress(),
        "listen_port = " + port,
        "unix_socket_dir =",
        "auth_type = " + authType,
        "auth_file = " + userlist,
        "admin_users = " + adminUser,
        "stats_users = " + adminUser,
        "pool_mode = transaction",
        "default_pool_size = " + initialPoolSize,
        "max_client_conn = " + maxClientConnections,
        "ignore_startup_parameters = extra_float_digits,options",
        "pidfile = " + dir.resolve("pgbouncer.pid"),
        "logfile = " + dir.resolve("pgbouncer.log"),
        ""));
    if (ROOT) {
      run(List.of("chown", "-R", "postgres", dir.toString()));
    }
    Files.setPosixFilePermissions(userlist, PosixFilePermissions.fromString("rw-------"));
  }

  private void launch() {
    if (wrapper == null) {
      List<String> command = List.of("/usr/sbin/pgbouncer", "-d", "-q", dir.resolve("pgbouncer.ini").toString());
      run(ROOT ? concat(List.of("runuser", "-u", "postgres", "--"), command) : command);
    } else {
      List<String> command = List.of("sh", "-c", wrapper, "pgbouncer", "/usr/sbin/pgbouncer", dir.resolve("pgbouncer.ini").toString());
      try {
        wrapperProcess = new ProcessBuilder(ROOT
            ? concat(List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"), command) : command)
            .redirectErrorStream(true).redirectOutput(dir.resolve("wrapper.out").toFile()).start();
      } catch (IOException e) {
        throw new IllegalStateException("Cannot start " + command, e);
      }
    }
    Instant deadline = Instant.now().plusSeconds(15);
    // The daemon may listen before its pidfile has content: wait for both.
    long written = 0;
    while (!portOpen() || (written = pidFromFile()) == 0) {
      if (Instant.now().isAfter(deadline)) {
        throw new IllegalStateException("Private PgBouncer did not open port " + port + " and write its pidfile; log: " + log());
      }
      sleep(Duration.ofMillis(50));
    }
    pid = written;
  }

  /** The pid in the pidfile, 0 while it is absent or not yet written. */
  private long pidFromFile() {
    try {
      String content = Files.readString(dir.resolve("pgbouncer.pid")).trim();
      return content.isEmpty() ? 0 : Long.parseLong(content);
    } catch (IOException | NumberFormatException e) {
      return 0;
    }
  }

  private static List<String> concat(List<String> a, List<String> b) {
    var all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  public int port() {
    return port;
  }

  public String host() {
    return "127.0.0.1";
  }

  public String adminUser() {
    return adminUser;
  }

  public String adminPassword() {
    return adminPassword;
  }

  /** A JDBC URL of a database on the shared PostgreSQL, through this PgBouncer. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?prepareThreshold=0";
  }

  /** The wrapper's process (sh), while {@link #underWrapper} started one. */
  public Process wrapperProcess() {
    return wrapperProcess;
  }

  /** PgBouncer's own process id, from its pidfile. */
  public long pid() {
    return pid;
  }

  public String log() {
    try {
      return Files.readString(dir.resolve("pgbouncer.log"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Stops the process (SIGTERM, then SIGKILL) and waits until the port is closed. */
  public void stop() {
    if (pid == null) {
      return;
    }
    ProcessHandle.of(pid).ifPresent(p -> {
      p.destroy();
      try {
        p.onExit().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        p.destroyForcibly();
      }
    });
    pid = null;
    if (wrapperProcess != null) {
      wrapperProcess.destroyForcibly();
    }
    Instant deadline = Instant.now().plusSeconds(10);
    while (portOpen() && Instant.now().isBefore(deadline)) {
      sleep(Duration.ofMillis(50));
    }
  }

  /** Restarts it on the same port and config, as an operator restart of the pooler would: sizes set live are lost. */
  public void restart() {
    stop();
    launch();
  }

  private boolean portOpen() {
    try (var socket = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void run(List<String> command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
      }
    } catch (IOException e) {
      throw new IllegalStateException("Cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    stop();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException ignored) {
      // a temp dir left behind is harmless
    }
  }
}
