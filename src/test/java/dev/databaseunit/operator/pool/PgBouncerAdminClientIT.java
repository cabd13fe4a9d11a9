package dev.databaseunit.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.testing.LocalServices;
import dev.databaseunit.operator.testing.PrivatePgBouncer;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The admin client against real PgBouncer 1.18 consoles: the shared one (read only) and a private one. */
@WithLocalServices
class PgBouncerAdminClientIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static PrivatePgBouncer bouncer;

  @BeforeAll
  static void startBouncer() {
    bouncer = PrivatePgBouncer.start(10, 100);
  }

  @AfterAll
  static void stopBouncer() {
    bouncer.close();
  }

  private static PgBouncerAdminClient admin() {
    return new PgBouncerAdminClient(bouncer.host(), bouncer.port(), bouncer.adminUser(), bouncer.adminPassword(), TIMEOUT);
  }

  /** Why this client exists: pgjdbc's login to the console fails. If this starts passing, pgjdbc may do again. */
  @Test
  void pgjdbcCannotLogInToTheConsole() {
    var services = LocalServices.get();
    String url = "jdbc:postgresql://127.0.0.1:" + services.pgbouncerPort() + "/pgbouncer?preferQueryMode=simple";
    assertThatThrownBy(() -> DriverManager.getConnection(url, services.value("pgbouncer.adminUser"),
        services.value("pgbouncer.adminPassword")).close())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("SET failed");
  }

  @Test
  void readsTheSharedConsoleWithScram() {
    var services = LocalServices.get();
    try (var client = new PgBouncerAdminClient("127.0.0.1", services.pgbouncerPort(),
        services.value("pgbouncer.adminUser"), services.value("pgbouncer.adminPassword"), TIMEOUT)) {
      assertThat(client.query("SHOW VERSION").getFirst().get("version")).startsWith("PgBouncer 1.");
      assertThat(client.showPools()).anySatisfy(p -> assertThat(p.database()).isEqualTo("pgbouncer"));
      assertThat(client.showConfig()).containsEntry("auth_type", "scram-sha-256");
      assertThat(client.lastConnectNanos()).isPositive();
    }
  }

  @Test
  void setsDefaultPoolSizeLiveAndReadsItBack(TestDatabase db) throws Exception {
    try (var client = admin(); Connection c = DriverManager.getConnection(bouncer.jdbcUrl(db.name()), db.user(), db.password())) {
      c.createStatement().execute("SELECT 1");
      client.set("default_pool_size", "17");
      assertThat(client.showConfig()).containsEntry("default_pool_size", "17");
      assertThat(client.showDatabases()).filteredOn(d -> d.name().equals(db.name()))
          .singleElement().satisfies(d -> assertThat(d.poolSize()).isEqualTo(17));
      assertThat(client.showPools()).filteredOn(p -> p.database().equals(db.name()))
          .singleElement().satisfies(p -> assertThat(p.serversActive() + p.serversIdle() + p.serversUsed()).isEqualTo(1));
      assertThat(client.showStats()).anySatisfy(s -> {
        assertThat(s.database()).isEqualTo(db.name());
        assertThat(s.totalTransactions()).isPositive();
      });
      client.set("default_pool_size", "10");
    }
  }

  @Test
  void pauseHoldsQueriesUntilResumeAndKillDropsClients(TestDatabase db) throws Exception {
    try (var client = admin(); Connection c = DriverManager.getConnection(bouncer.jdbcUrl(db.name()), db.user(), db.password())) {
      c.createStatement().execute("SELECT 1");
      client.pause(db.name()).await();
      assertThat(client.showDatabases()).filteredOn(d -> d.name().equals(db.name()))
          .singleElement().satisfies(d -> assertThat(d.paused()).isTrue());
      var held = CompletableFuture.supplyAsync(() -> {
        try (var s = c.createStatement(); var rs = s.executeQuery("SELECT 42")) {
          rs.next();
          return rs.getInt(1);
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      });
      assertThatThrownBy(() -> held.get(700, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
      client.resume(db.name());
      assertThat(held.get(5, TimeUnit.SECONDS)).isEqualTo(42);
    }
  }

  @Test
  void typedFailures() {
    try (var wrong = new PgBouncerAdminClient(bouncer.host(), bouncer.port(), bouncer.adminUser(), "not-the-password", TIMEOUT)) {
      assertThatThrownBy(wrong::showPools).isInstanceOf(PgBouncerAdminException.class)
          .satisfies(e -> assertThat(((PgBouncerAdminException) e).kind()).isEqualTo(PgBouncerAdminException.Kind.AUTHENTICATION_FAILED))
          .hasMessageNotContaining("not-the-password");
    }
    try (var nobody = new PgBouncerAdminClient("127.0.0.1", 1, "x", "y", TIMEOUT)) {
      assertThatThrownBy(nobody::showPools).isInstanceOf(PgBouncerAdminException.class)
          .satisfies(e -> assertThat(((PgBouncerAdminException) e).kind()).isEqualTo(PgBouncerAdminException.Kind.UNREACHABLE));
    }
    try (var client = admin()) {
      assertThatThrownBy(() -> client.query("SHOW NONSENSE")).isInstanceOf(PgBouncerAdminException.class)
          .satisfies(e -> assertThat(((PgBouncerAdminException) e).kind()).isEqualTo(PgBouncerAdminException.Kind.COMMAND_FAILED));
      assertThatThrownBy(() -> client.set("max_client_conn", "not-a-number")).isInstanceOf(PgBouncerAdminException.class);
      // the connection is still usable after a rejected command
      assertThat(client.showPools()).isNotEmpty();
    }
  }

  /** The userlist renderer's quoting is what PgBouncer reads: a password with quotes and spaces logs in. */
  @Test
  void aPasswordWithQuotesFromTheRendererLogsIn() {
    String password = "p\"w'd \\ x\"\"";
    try (var other = PrivatePgBouncer.start(10, 20, password);
        var client = new PgBouncerAdminClient(other.host(), other.port(), other.adminUser(), password, TIMEOUT)) {
      assertThat(client.showConfig()).containsEntry("default_pool_size", "10");
    }
  }

  @Test
  void reconnectsAfterPgBouncerRestarts() {
    try (var client = admin()) {
      assertThat(client.showPools()).isNotEmpty();
      bouncer.restart();
      // the old connection is gone: the first call fails or already reconnects, the next one surely works
      try {
        client.showPools();
      } catch (PgBouncerAdminException e) {
        assertThat(e.kind()).isEqualTo(PgBouncerAdminException.Kind.UNREACHABLE);
      }
      assertThat(client.showPools()).isNotEmpty();
    }
  }

  /**
   * An external console is plain TCP: a real PgBouncer configured for cleartext (auth_type plain) or MD5 passwords
   * gets none from the operator. The refusal comes before anything is sent, so a listener on the console's address
   * learns nothing it could replay or crack.
   */
  @Test
  void refusesPlaintextAndMd5LoginsOverPlainTcp() {
    for (String authType : new String[] {"plain", "md5"}) {
      try (var weak = PrivatePgBouncer.withAuthType(authType);
          var client = new PgBouncerAdminClient(weak.host(), weak.port(), weak.adminUser(), weak.adminPassword(), TIMEOUT)) {
        assertThatThrownBy(client::showPools).as(authType).isInstanceOf(PgBouncerAdminException.class)
            .hasMessageContaining("over a connection without TLS")
            .satisfies(e -> assertThat(((PgBouncerAdminException) e).kind()).isEqualTo(PgBouncerAdminException.Kind.AUTHENTICATION_FAILED));
        assertThat(weak.log()).as(authType).doesNotContain("password authentication failed");
      }
    }
  }
}
