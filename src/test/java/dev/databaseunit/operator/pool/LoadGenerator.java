package dev.databaseunit.operator.pool;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Concurrent clients through a PgBouncer, each running short transactions ({@code SELECT pg_sleep(0.05)}) back to
 * back on its own connection, reconnecting after an error (a PgBouncer restart). {@link #close()} stops them.
 */
final class LoadGenerator implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicLong transactions = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();

  LoadGenerator(String jdbcUrl, String user, String password, int clients) {
    for (int i = 0; i < clients; i++) {
      threads.add(Thread.ofVirtual().name("load-", i).start(() -> run(jdbcUrl, user, password)));
    }
  }

  private void run(String url, String user, String password) {
    while (running.get()) {
      try (Connection c = DriverManager.getConnection(url, user, password)) {
        c.setAutoCommit(false);
        while (running.get()) {
          try (var s = c.createStatement()) {
            s.execute("SELECT pg_sleep(0.05)");
          }
          c.commit();
          transactions.incrementAndGet();
        }
      } catch (SQLException e) {
        errors.incrementAndGet();
        try {
          Thread.sleep(100);
        } catch (InterruptedException interrupted) {
          return;
        }
      }
    }
  }

  long transactions() {
    return transactions.get();
  }

  long errors() {
    return errors.get();
  }

  @Override
  public void close() {
    running.set(false);
    for (Thread t : threads) {
      try {
        t.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
