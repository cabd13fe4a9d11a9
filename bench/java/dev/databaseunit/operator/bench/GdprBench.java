package dev.databaseunit.operator.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.databaseunit.operator.gdpr.GdprService;
import dev.databaseunit.operator.gdpr.RecipeFixture;
import dev.databaseunit.operator.gdpr.SubjectEraser;
import dev.databaseunit.operator.gdpr.SubjectPlan;
import dev.databaseunit.operator.testing.LocalServices;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Erasure of one subject with many recipes (each with a 1536-dim embedding and ingredients), ours vs a
 * hand-written baseline, on the same data: a seeded template database is copied for every run, once for our
 * erasure (deletes in dependency order through the join paths, advisory lock, ledger and audit rows, one
 * transaction) and once for a copy whose foreign keys are ON DELETE CASCADE, erased by a single
 * {@code DELETE FROM users WHERE id = ?}. Order alternates between rounds. Writes bench/results/gdpr.md.
 * Usage: GdprBench [recipes=10000] [rounds=3] [otherUsers=20] [otherRecipes=100]
 */
public final class GdprBench {
  private static final String[] CASCADE_KEYS = {
      "recipes:recipes_user_id_fkey:user_id:users", "recipe_embeddings:recipe_embeddings_recipe_id_fkey:recipe_id:recipes",
      "parsed_ingredients:parsed_ingredients_recipe_id_fkey:recipe_id:recipes",
      "user_taste_profiles:user_taste_profiles_user_id_fkey:user_id:users", "user_sessions:user_sessions_user_id_fkey:user_id:users",
      "data_export_requests:data_export_requests_user_id_fkey:user_id:users", "consents:consents_user_id_fkey:user_id:users"};

  /** Time from the previous step to each table's delete, summed over all runs (warm-up included). */
  private static final Map<String, Double> PER_TABLE = new java.util.LinkedHashMap<>();

  private GdprBench() {}

  public static void main(String[] args) throws Exception {
    int recipes = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int otherUsers = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int otherRecipes = args.length > 3 ? Integer.parseInt(args[3]) : 100;
    var services = LocalServices.get();
    String template = "du_gdpr_bench_seed";
    admin(services, "DROP DATABASE IF EXISTS " + template + " WITH (FORCE)");
    admin(services, "CREATE DATABASE " + template);
    long subject;
    long seedStart = System.nanoTime();
    try (Connection c = connect(services, template)) {
      RecipeFixture.createSchema(c);
      for (int i = 0; i < otherUsers / 2; i++) {
        RecipeFixture.addUser(c, "before" + i + "@example.com", otherRecipes, 3, true);
      }
      subject = RecipeFixture.addUser(c, "subject@example.com", recipes, 3, true);
      for (int i = 0; i < otherUsers - otherUsers / 2; i++) {
        RecipeFixture.addUser(c, "after" + i + "@example.com", otherRecipes, 3, true);
      }
      c.createStatement().execute("VACUUM ANALYZE");
    }
    double seedSeconds = (System.nanoTime() - seedStart) / 1e9;
    Map<String, Long> subjectRows;
    try (Connection c = connect(services, template)) {
      subjectRows = RecipeFixture.userCounts(c, subject);
    }
    long totalRows = subjectRows.values().stream().mapToLong(Long::longValue).sum();

    List<Double> ours = new ArrayList<>();
    List<Double> baseline = new ArrayList<>();
    // Round 0 warms the JVM (our code path, the driver, the pool) and is not counted.
    for (int round = 0; round <= rounds; round++) {
      boolean oursFirst = round % 2 == 1;
      for (int side = 0; side < 2; side++) {
        boolean runOurs = (side == 0) == oursFirst;
        String db = "du_gdpr_bench_" + (runOurs ? "ours" : "cascade");
        admin(services, "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        admin(services, "CREATE DATABASE " + db + " TEMPLATE " + template);
        try {
          double ms = runOurs ? erase(services, db, subject, subjectRows) : cascade(services, db, subject, subjectRows);
          if (round > 0) {
            (runOurs ? ours : baseline).add(ms);
          }
        } finally {
          admin(services, "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        }
      }
    }
    admin(services, "DROP DATABASE IF EXISTS " + template + " WITH (FORCE)");

    double oursMedian = median(ours);
    double baselineMedian = median(baseline);
    var md = new StringBuilder();
    md.append("# GDPR erasure: ours vs a single DELETE ... CASCADE\n\n")
        .append("Measured ").append(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS))
        .append(" by `bench/gdpr.sh` on the local PostgreSQL 15 + pgvector (2 shared cores, other work running).\n\n")
        .append("Data (identical for both, copied from one seeded template database per run): the subject has ")
        .append(recipes).append(" recipes, each with a vector(1536) embedding and 3 parsed ingredients, plus a taste profile, ")
        .append("sessions, an export request and consents; ").append(otherUsers).append(" other users with ").append(otherRecipes)
        .append(" recipes each stay. Rows of the subject: ").append(subjectRows).append(" (").append(totalRows)
        .append(" in all). Seeding took ").append(String.format("%.0f", seedSeconds)).append(" s.\n\n")
        .append("| erasure | median ms | runs (ms) | rows deleted |\n|---|---:|---|---:|\n")
        .append(row("ours: GdprService.erase — one transaction, 8 DELETEs in dependency order through the join paths, "
            + "advisory lock, ledger + audit rows", ours, totalRows))
        .append(row("baseline: `DELETE FROM users WHERE id = ?` with ON DELETE CASCADE foreign keys", baseline, totalRows))
        .append("\n**Ratio ours / baseline: ").append(String.format("%.2f", oursMedian / baselineMedian)).append("×** (median of ")
        .append(rounds).append(" rounds after a warm-up round, order alternating).\n\n")
        .append("Where our time goes (mean per run, ms, each including the time since the previous step): ")
        .append(String.join(", ", PER_TABLE.entrySet().stream()
            .map(e -> e.getKey() + " " + String.format("%.0f", e.getValue() / (rounds + 1))).toList()))
        .append(".\n\n")
        .append("Both delete the same rows in one transaction. Ours also writes the started/completed audit rows and the ledger ")
        .append("entry, takes the subject's advisory lock, and needs no change to the application's foreign keys; the ")
        .append("cascade baseline cannot report counts per table and deletes whatever the CASCADE graph reaches.\n");
    Path out = Path.of("bench/results/gdpr.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md.toString());
    System.out.println(md);
  }

  private static double erase(LocalServices services, String db, long subject, Map<String, Long> expected) throws Exception {
    // A pool, as in the operator (UnitDataSources): the connection exists before the erasure starts.
    var config = new HikariConfig();
    config.setJdbcUrl(url(services, db));
    config.setUsername(services.postgresUser());
    config.setPassword(services.postgresPassword());
    config.setMaximumPoolSize(2);
    config.setMinimumIdle(1);
    try (var dataSource = new HikariDataSource(config)) {
      return erase(dataSource, subject, expected);
    }
  }

  private static double erase(HikariDataSource dataSource, long subject, Map<String, Long> expected) throws Exception {
    long[] last = {0};
    var service = new GdprService(Clock.systemUTC(), (table, rows) -> {
      long now = System.nanoTime();
      PER_TABLE.merge(table, (now - last[0]) / 1e6, Double::sum);
      last[0] = now;
    });
    var prepared = service.prepare(dataSource, SubjectPlan.seedDefault(), dev.databaseunit.operator.gdpr.SubjectKey.fromBase64(dev.databaseunit.operator.gdpr.SubjectKey.newBase64()));
    long start = System.nanoTime();
    last[0] = start;
    var erasure = service.erase(dataSource, prepared,
        new GdprService.Request(UUID.randomUUID().toString(), Long.toString(subject), "bench", "bench"), false, Map.of());
    double ms = (System.nanoTime() - start) / 1e6;
    if (!erasure.counts().equals(expected)) {
      throw new IllegalStateException("ours deleted " + erasure.counts() + ", expected " + expected);
    }
    return ms;
  }

  private static double cascade(LocalServices services, String db, long subject, Map<String, Long> expected) throws Exception {
    try (Connection c = connect(services, db); var s = c.createStatement()) {
      for (String key : CASCADE_KEYS) {
        String[] p = key.split(":");
        s.execute("ALTER TABLE " + p[0] + " DROP CONSTRAINT " + p[1] + ", ADD CONSTRAINT " + p[1] + " FOREIGN KEY (" + p[2]
            + ") REFERENCES " + p[3] + " (id) ON DELETE CASCADE");
      }
      c.setAutoCommit(false);
      long start = System.nanoTime();
      try (var ps = c.prepareStatement("DELETE FROM users WHERE id = ?")) {
        ps.setLong(1, subject);
        ps.executeUpdate();
      }
      c.commit();
      double ms = (System.nanoTime() - start) / 1e6;
      if (RecipeFixture.userCounts(c, subject).values().stream().anyMatch(n -> n != 0)) {
        throw new IllegalStateException("cascade left rows of the subject");
      }
      return ms;
    }
  }

  private static String row(String name, List<Double> runs, long rows) {
    return "| " + name + " | " + String.format("%.0f", median(runs)) + " | "
        + String.join(", ", runs.stream().map(r -> String.format("%.0f", r)).toList()) + " | " + rows + " |\n";
  }

  private static double median(List<Double> values) {
    var sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static String url(LocalServices services, String db) {
    return "jdbc:postgresql://" + services.postgresHost() + ":" + services.postgresPort() + "/" + db;
  }

  private static Connection connect(LocalServices services, String db) throws Exception {
    return DriverManager.getConnection(url(services, db), services.postgresUser(), services.postgresPassword());
  }

  private static void admin(LocalServices services, String sql) throws Exception {
    try (Connection c = connect(services, "postgres"); var s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
