package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.ChunkedGcm;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Compression;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.LogicalDump;
import dev.databaseunit.operator.api.v1alpha1.PostgresTls;
import dev.databaseunit.operator.common.EgressPolicy;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.postgres.CaCertificates;
import dev.databaseunit.operator.postgres.DatabaseTimeouts;
import dev.databaseunit.operator.postgres.DatabaseFailures;
import dev.databaseunit.operator.postgres.PostgresTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Starts pg_dump and pg_restore for a target and opens JDBC connections to it. Credentials travel in the libpq
 * environment, never on a command line (where {@code ps} would show them); stderr goes to a private temp file
 * and comes back in failure messages with the password cut out.
 */
public final class PostgresTools {
  private final CaCertificates caFiles;
  private final Path binDirectory;
  private final EgressPolicy egress;
  private final DatabaseTimeouts timeouts;

  /**
   * @param binDirectory where pg_dump/pg_restore live, or null to take them from PATH
   * @param egress checked before any program or connection gets a target's password
   * @param timeouts of the connections it opens (purpose BACKUP) and pg_dump's lock wait
   */
  public PostgresTools(CaCertificates caFiles, Path binDirectory, EgressPolicy egress, DatabaseTimeouts timeouts) {
    this.caFiles = caFiles;
    this.binDirectory = binDirectory;
    this.egress = egress;
    this.timeouts = timeouts;
  }

  /** The target's password may be sent there; a refusal names the rule, and nothing was sent. */
  private void checkEgress(PostgresTarget target) throws IOException {
    try {
      egress.checkDatabase(target.toString(), target.host(), target.sslMode() != PostgresTls.Mode.DISABLE);
    } catch (UnitProblem p) {
      throw new IOException(p.getMessage(), p);
    }
  }

  /**
   * A started client program: stdout/stdin are the dump stream, stderr is kept for the failure message. It is killed
   * once it has run for {@code bound} (a backup's window, a restore's RTO), so one that hangs on a silent server or a
   * lock ends.
   */
  public record Running(Process process, Path stderr, PostgresTarget target, String program, Duration bound,
      AtomicBoolean stopped) implements AutoCloseable {
    /** Waits for the exit and throws with pg_dump/pg_restore's own words when it failed. */
    public void awaitSuccess() throws IOException, InterruptedException {
      int code = process.waitFor();
      if (stopped.get()) {
        throw new IOException(program + " on " + target + " was stopped after running for " + bound + ", its bound");
      }
      if (code != 0) {
        throw new IOException(program + " failed (exit " + code + ") on " + target + ": " + errorText());
      }
    }

    /**
     * Streams a verified, decrypted archive into this pg_restore and waits for it. A verification failure stops the
     * stream before pg_restore sees the end of the archive, so a single-transaction restore never commits.
     *
     * @param selective pg_restore restores only some tables and may finish (successfully) before the archive ends
     */
    public void feed(InputStream archive, boolean selective) throws IOException, InterruptedException {
      try (OutputStream toRestore = process.getOutputStream()) {
        archive.transferTo(toRestore);
      } catch (ChunkedGcm.TamperedException | BackupReader.WrongKeyException e) {
        throw e;
      } catch (IOException e) {
        // A broken pipe means pg_restore stopped: its own error says why, or (selective) it has all it wanted.
        awaitSuccess();
        if (!selective) {
          throw e;
        }
        return;
      }
      awaitSuccess();
    }

    public String errorText() {
      try {
        String text = Files.readString(stderr, StandardCharsets.UTF_8).strip();
        text = text.length() > 2000 ? "..." + text.substring(text.length() - 2000) : text;
        return DatabaseFailures.redact(text.isEmpty() ? "(no output)" : text, target.password());
      } catch (IOException e) {
        return "(stderr unreadable: " + e.getMessage() + ")";
      }
    }

    @Override
    public void close() {
      process.destroyForcibly();
      try {
        Files.deleteIfExists(stderr);
      } catch (IOException e) {
        // A leftover temp file of error text is harmless.
      }
    }
  }

  /**
   * pg_dump in custom format of the target database, as of an exported snapshot (so counts match the dump); a table
   * lock it cannot get within the backup purpose's lock timeout fails it instead of waiting.
   */
  public Running dump(PostgresTarget target, String snapshot, Compression compression, Duration bound) throws IOException {
    List<String> command = new ArrayList<>(List.of("pg_dump", "--format=custom", "--no-password", "--snapshot=" + snapshot,
        "--lock-wait-timeout=" + timeouts.of(DatabaseTimeouts.Purpose.BACKUP).lock().toMillis()));
    command.addAll(dumpCompression(compression));
    return start(target, command, ProcessBuilder.Redirect.PIPE, Map.of(), bound);
  }

  /** pg_dump's own compression: its zlib for GZIP (its default), none where the stream is compressed after it or not at all. */
  static List<String> dumpCompression(Compression compression) {
    return switch (compression) {
      case GZIP -> List.of();
      case ZSTD, NONE -> List.of("--compress=0");
    };
  }

  /**
   * Settings of a restore's session.
   *
   * @param maintenanceWorkMemMiB maintenance_work_mem: an index build that fits in it (HNSW above all) runs many times faster
   * @param jobs processes per index build: max_parallel_maintenance_workers is jobs - 1
   */
  public record RestoreSession(int maintenanceWorkMemMiB, int jobs) {
    /** The policy's settings, each absent one at the CRD's default. */
    public static RestoreSession of(LogicalDump dump) {
      return new RestoreSession(dump != null && dump.restoreMemoryMiB() != null ? dump.restoreMemoryMiB() : 1024,
          dump != null && dump.jobs() != null ? dump.jobs() : 2);
    }

    /** The libpq PGOPTIONS that set them for the session. */
    Map<String, String> environment() {
      return Map.of("PGOPTIONS", "-c maintenance_work_mem=" + maintenanceWorkMemMiB + "MB -c max_parallel_maintenance_workers="
          + (jobs - 1));
    }
  }

  /**
   * pg_restore of a custom-format archive read from stdin. Ownership and grants are left out: a scratch copy is
   * owned by the operator's role, and the roles of the source need not exist where it is restored.
   */
  public Running restore(PostgresTarget target, RestoreSession session, Duration bound) throws IOException {
    return restore(target, session, List.of(), bound);
  }

  /** {@link #restore} in one transaction: a failed or cut-off restore leaves the target as it was. */
  public Running restoreInOneTransaction(PostgresTarget target, RestoreSession session, Duration bound) throws IOException {
    return restore(target, session, List.of("--single-transaction"), bound);
  }

  /** {@link #restore} of only the named tables (definition and data) of the archive. */
  public Running restoreTables(PostgresTarget target, RestoreSession session, List<String> tables, Duration bound)
      throws IOException {
    return restore(target, session, tables.stream().map(t -> "--table=" + t).toList(), bound);
  }

  private Running restore(PostgresTarget target, RestoreSession session, List<String> options, Duration bound) throws IOException {
    List<String> command = new ArrayList<>(List.of("pg_restore", "--format=custom", "--no-password", "--exit-on-error",
        "--no-owner", "--no-acl", "--dbname=" + target.database()));
    command.addAll(options);
    return start(target, command, ProcessBuilder.Redirect.DISCARD, session.environment(), bound);
  }

  private Running start(PostgresTarget target, List<String> command, ProcessBuilder.Redirect stdout, Map<String, String> session,
      Duration bound) throws IOException {
    checkEgress(target);
    List<String> args = new ArrayList<>(command);
    if (binDirectory != null) {
      args.set(0, binDirectory.resolve(command.getFirst()).toString());
    }
    Path stderr = Files.createTempFile("databaseunit-" + command.getFirst() + "-", ".log");
    var builder = new ProcessBuilder(args).redirectError(stderr.toFile()).redirectOutput(stdout);
    builder.environment().putAll(target.libpqEnvironment(caFiles));
    builder.environment().putAll(session);
    try {
      Process process = builder.start();
      var stopped = new AtomicBoolean();
      CompletableFuture.delayedExecutor(bound.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
        if (process.isAlive()) {
          stopped.set(true);
          process.destroyForcibly();
        }
      });
      return new Running(process, stderr, target, command.getFirst(), bound, stopped);
    } catch (IOException e) {
      Files.deleteIfExists(stderr);
      throw new IOException("Cannot start " + command.getFirst() + " (is the PostgreSQL client installed?): " + e.getMessage(), e);
    }
  }

  public Connection connect(PostgresTarget target) throws SQLException {
    try {
      checkEgress(target);
    } catch (IOException e) {
      throw new SQLException(e.getMessage(), "28000", e);
    }
    var session = timeouts.of(DatabaseTimeouts.Purpose.BACKUP);
    Connection c = DriverManager.getConnection(target.jdbcUrl(), target.jdbcProperties(caFiles, timeouts.connect(), session));
    try (var st = c.createStatement()) {
      st.execute(session.setSql());
    } catch (SQLException e) {
      c.close();
      throw e;
    }
    return c;
  }
}
