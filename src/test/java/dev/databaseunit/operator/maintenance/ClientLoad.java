package dev.databaseunit.operator.maintenance;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An application's traffic through PgBouncer during a maintenance run: a few clients, each on its own connection,
 * running short write transactions back to back, counting every error a client would see and timing each
 * transaction (queueing behind PAUSE shows up as latency, which is the point of a drain).
 */
final class ClientLoad implements AutoCloseable {
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final ConcurrentLinkedQueue<Long> latenciesMicros = new ConcurrentLinkedQueue<>();
  private final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
  private final List<Thread> clients = new ArrayList<>();

  /** Creates the table the clients write to, then starts them. */
  ClientLoad(String jdbcUrl, String user, String password, int clientCount) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl, user, password); var s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS client_writes (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, client int NOT NULL,"
          + " at timestamptz NOT NULL DEFAULT clock_timestamp())");
    }
    for (int i = 0; i < clientCount; i++) {
      int client = i;
      clients.add(Thread.ofPlatform().name("client-load-" + i).daemon().start(() -> run(jdbcUrl, user, password, client)));
    }
  }

  private void run(String url, String user, String password, int client) {
    try (Connection c = DriverManager.getConnection(url, user, password)) {
      c.setAutoCommit(false);
      while (running.get()) {
        long start = System.nanoTime();
        try (var insert = c.prepareStatement("INSERT INTO client_writes (client) VALUES (?)");
            var read = c.prepareStatement("SELECT count(*) FROM client_writes WHERE client = ?")) {
          insert.setInt(1, client);
          insert.executeUpdate();
          read.setInt(1, client);
          read.executeQuery().close();
          c.commit();
          latenciesMicros.add((System.nanoTime() - start) / 1000);
        } catch (SQLException e) {
          errors.add(e.getSQLState() + " " + e.getMessage());
          try {
            c.rollback();
          } catch (SQLException ignored) {
            return; // the connection is gone: counted above, this client stops
          }
        }
        Thread.sleep(5);
      }
    } catch (SQLException e) {
      errors.add("connect: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  long transactions() {
    return latenciesMicros.size();
  }

  List<String> errors() {
    return List.copyOf(errors);
  }

  /** The 99th percentile of transaction latency so far, in milliseconds. */
  double p99Millis() {
    List<Long> sorted = new ArrayList<>(latenciesMicros);
    if (sorted.isEmpty()) {
      return 0;
    }
    Collections.sort(sorted);
    return sorted.get((int) Math.ceil(sorted.size() * 0.99) - 1) / 1000.0;
  }

  double maxMillis() {
    return latenciesMicros.stream().mapToLong(Long::longValue).max().orElse(0) / 1000.0;
  }

  @Override
  public void close() throws InterruptedException {
    running.set(false);
    for (Thread t : clients) {
      t.join(10_000);
    }
  }
}
