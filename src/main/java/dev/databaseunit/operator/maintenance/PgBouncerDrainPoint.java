package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.pool.AdminEndpoint;
import dev.databaseunit.operator.pool.PgBouncerAdmin;
import dev.databaseunit.operator.pool.PgBouncerAdminException;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The drain point on PgBouncer's admin console, through the pool capability's console client. PAUSE answers only once
 * the database is drained, so it is sent on a connection of its own and its answer awaited on a worker thread; the
 * other commands use short-lived connections so they never queue behind it.
 */
public final class PgBouncerDrainPoint implements DrainPoint {
  static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);

  private final AdminEndpoint endpoint;

  public PgBouncerDrainPoint(AdminEndpoint endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public PendingPause pause(String database, Duration answerWithin) throws IOException {
    PgBouncerAdmin console = endpoint.connect(answerWithin);
    PgBouncerAdmin.Pause sent;
    try {
      // Sent before returning, so a refused login or an unknown host fails the drain at once, and so a PAUSE can
      // never reach PgBouncer after the RESUME of a drain that was abandoned (which would leave the pool paused).
      sent = console.pause(database);
    } catch (PgBouncerAdminException e) {
      console.close();
      throw new IOException(e.getMessage(), e);
    }
    var answer = CompletableFuture.runAsync(() -> {
      try (console) {
        sent.await();
      }
    }, runnable -> Thread.ofPlatform().name("pgbouncer-pause-" + database).daemon().start(runnable));
    return new PendingPause() {
      @Override
      public boolean acknowledged() {
        return answer.isDone() && !answer.isCompletedExceptionally();
      }

      @Override
      public void abandon() {
        // After RESUME PgBouncer never answers the PAUSE; its connection ends at the read timeout.
        answer.cancel(false);
      }
    };
  }

  @Override
  public void resume(String database) throws IOException {
    try (PgBouncerAdmin console = endpoint.connect(COMMAND_TIMEOUT)) {
      console.resume(database);
    } catch (PgBouncerAdminException e) {
      String message = String.valueOf(e.getMessage());
      if (e.kind() == PgBouncerAdminException.Kind.COMMAND_FAILED
          && (message.contains("is not paused") || message.contains("no such database"))) {
        return; // already flowing, or PgBouncer restarted and forgot the pause
      }
      throw new IOException(message, e);
    }
  }

  @Override
  public boolean isPaused(String database) throws IOException {
    try (PgBouncerAdmin console = endpoint.connect(COMMAND_TIMEOUT)) {
      return console.showDatabases().stream().anyMatch(d -> database.equals(d.name()) && d.paused());
    } catch (PgBouncerAdminException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  @Override
  public PoolCounts pool(String database) throws IOException {
    try (PgBouncerAdmin console = endpoint.connect(COMMAND_TIMEOUT)) {
      var total = PgBouncerAdmin.PoolRow.sum(database, console.showPools());
      return new PoolCounts(total.clientsActive(), total.clientsWaiting(), total.serversActive());
    } catch (PgBouncerAdminException e) {
      throw new IOException(e.getMessage(), e);
    }
  }
}
