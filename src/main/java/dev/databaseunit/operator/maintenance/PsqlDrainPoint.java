package dev.databaseunit.operator.maintenance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * PgBouncer's admin console driven through {@code psql} (the console speaks only the simple query protocol, which
 * psql uses). The password travels in the child's environment, never on its command line.
 */
public final class PsqlDrainPoint implements DrainPoint {
  private static final long COMMAND_TIMEOUT_SECONDS = 15;

  private final String host;
  private final int port;
  private final String user;
  private final String password;

  public PsqlDrainPoint(String host, int port, String user, String password) {
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
  }

  @Override
  public PendingPause pause(String database) throws IOException {
    Process process = start("PAUSE " + quoteDatabase(database));
    return new PendingPause() {
      @Override
      public boolean acknowledged() {
        return !process.isAlive() && process.exitValue() == 0;
      }

      @Override
      public void abandon() {
        process.destroy();
      }
    };
  }

  @Override
  public void resume(String database) throws IOException {
    Result result = run("RESUME " + quoteDatabase(database));
    if (result.exitCode() != 0 && !result.stderr().contains("is not paused") && !result.stderr().contains("no such database")) {
      throw new IOException("RESUME " + database + " failed: " + result.stderr().strip());
    }
  }

  @Override
  public boolean isPaused(String database) throws IOException {
    for (Map<String, String> row : table("SHOW DATABASES")) {
      if (database.equals(row.get("name"))) {
        return "1".equals(row.get("paused"));
      }
    }
    return false;
  }

  @Override
  public PoolCounts pool(String database) throws IOException {
    int active = 0;
    int waiting = 0;
    int servers = 0;
    for (Map<String, String> row : table("SHOW POOLS")) {
      if (database.equals(row.get("database"))) {
        active += Integer.parseInt(row.get("cl_active"));
        waiting += Integer.parseInt(row.get("cl_waiting"));
        servers += Integer.parseInt(row.get("sv_active"));
      }
    }
    return new PoolCounts(active, waiting, servers);
  }

  private List<Map<String, String>> table(String command) throws IOException {
    Result result = run(command);
    if (result.exitCode() != 0) {
      throw new IOException(command + " failed: " + result.stderr().strip());
    }
    List<String> lines = result.stdout().lines().filter(l -> !l.isBlank()).toList();
    List<Map<String, String>> rows = new ArrayList<>();
    if (lines.isEmpty()) {
      return rows;
    }
    String[] header = lines.getFirst().split("\\|", -1);
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split("\\|", -1);
      var row = new java.util.HashMap<String, String>();
      for (int i = 0; i < header.length && i < cells.length; i++) {
        row.put(header[i], cells[i]);
      }
      rows.add(row);
    }
    return rows;
  }

  private record Result(int exitCode, String stdout, String stderr) {}

  private Result run(String command) throws IOException {
    Process process = start(command);
    try {
      if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(command + " got no answer from PgBouncer at " + host + ":" + port + " within "
            + COMMAND_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + command, e);
    }
    return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
        new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  private Process start(String command) throws IOException {
    var builder = new ProcessBuilder("psql", "-X", "-q", "-A", "-F", "|", "-P", "footer=off", "-v", "ON_ERROR_STOP=1",
        "-h", host, "-p", Integer.toString(port), "-U", user, "-d", "pgbouncer", "-c", command);
    builder.environment().put("PGPASSWORD", password);
    builder.environment().put("PGCONNECT_TIMEOUT", "10");
    builder.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    return builder.start();
  }

  /** Database names in console commands are identifiers; ours come from a validated spec but are quoted anyway. */
  private static String quoteDatabase(String database) {
    return "\"" + database.replace("\"", "\"\"") + "\"";
  }
}
