package dev.databaseunit.operator.schema;

import static dev.databaseunit.operator.testing.OperatorInNamespace.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.databaseunit.operator.testing.CapturedLogs;
import dev.databaseunit.operator.testing.KubeCluster;
import dev.databaseunit.operator.testing.OperatorInNamespace;
import dev.databaseunit.operator.testing.TestDatabase;
import dev.databaseunit.operator.testing.WithLocalServices;
import io.fabric8.kubernetes.api.model.ConfigMap;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Migrations and extensions of a DatabaseUnit, run by the operator against the real API server and PostgreSQL. */
@WithLocalServices
class SchemaMigrationsIT {
  private static final List<String> RECIPE_TABLES = List.of("consents", "data_export_requests", "parsed_ingredients",
      "recipe_embeddings", "recipes", "user_sessions", "user_taste_profiles", "users");

  private OperatorInNamespace operator;

  @BeforeEach
  void start(KubeCluster cluster) {
    operator = OperatorInNamespace.start(cluster, "du-schema");
  }

  @AfterEach
  void stop() {
    operator.close();
  }

  /**
   * The sample recipe schema (samples/recipe-schema.yaml) is applied, then a broken V3 leaves the schema at 2
   * with the server's error in Degraded, and the fixed V3 is applied; nothing is ever applied twice.
   */
  @Test
  void theSampleRecipeSchemaIsAppliedAndABrokenMigrationStopsAtTheLastGoodVersion(TestDatabase db) throws Exception {
    try (var logs = new CapturedLogs()) {
      operator.apply(Files.readString(Path.of("samples/recipe-schema.yaml")));
      operator.secret("db", Map.of("username", db.user(), "password", db.password()));
      operator.apply(unit("recipes", db, "[vector, pg_stat_statements]", "recipes-schema"));

      operator.awaitCondition("recipes", "Ready", "True", "Reconciled");
      var database = operator.unit("recipes").getStatus().database();
      assertThat(database.schemaVersion()).isEqualTo("2");
      assertThat(database.pendingMigrations()).isZero();
      assertThat(database.extensions()).containsEntry("vector", "0.8.0").containsKey("pg_stat_statements");
      assertThat(db.queryColumn("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
          + "AND table_type = 'BASE TABLE' AND table_name <> 'flyway_schema_history' ORDER BY 1")).containsExactlyElementsOf(RECIPE_TABLES);
      assertThat(db.queryColumn("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
          + "WHERE attrelid = 'recipe_embeddings'::regclass AND attname = 'embedding'")).containsExactly("vector(1536)");
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(operator.events("recipes"))
          .anySatisfy(e -> assertThat(e.getReason() + ": " + e.getMessage()).isEqualTo(
              "MigrationsApplied: Applied V1__recipe_app.sql, V2__consents.sql to schema public; now at version 2")));

      withV3("ALTER TABLE recipes ADD COLUMN servings int;\nALTER TABLE recipes ADD COLUMN rating int REFERENCES no_such_table (id);");
      var failed = operator.awaitCondition("recipes", "Degraded", "True", "MigrationFailed");
      assertThat(failed.getMessage()).contains("Migration V3__servings.sql failed at line 2")
          .contains("relation \"no_such_table\" does not exist").endsWith("schema public stays at version 2");
      assertThat(operator.unit("recipes").getStatus().database())
          .extracting(d -> d.schemaVersion(), d -> d.pendingMigrations()).containsExactly("2", 1);
      assertThat(columns(db, "recipes")).doesNotContain("servings");
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(operator.eventReasons("recipes")).contains("MigrationFailed"));

      withV3("ALTER TABLE recipes ADD COLUMN servings int;");
      operator.awaitCondition("recipes", "Ready", "True", "Reconciled");
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(operator.unit("recipes").getStatus().database())
          .extracting(d -> d.schemaVersion(), d -> d.pendingMigrations()).containsExactly("3", 0));
      assertThat(columns(db, "recipes")).contains("servings");
      assertThat(db.queryColumn("SELECT version || ':' || success FROM flyway_schema_history ORDER BY installed_rank"))
          .containsExactly("1:true", "2:true", "3:true");
      assertThat(logs.lines()).noneMatch(line -> line.contains(db.password()));
    }
  }

  @Test
  void aConfigMapKeyThatIsNotAFlywayNameIsAClearReasonAndNothingRuns(TestDatabase db) throws Exception {
    operator.apply("""
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: misnamed}
        data:
          V1__init.sql: CREATE TABLE a (id int);
          V2_add_b.sql: CREATE TABLE b (id int);
        """);
    operator.secret("db", Map.of("username", db.user(), "password", db.password()));
    operator.apply(unit("misnamed", db, "[vector]", "misnamed"));

    var degraded = operator.awaitCondition("misnamed", "Degraded", "True", "MigrationInvalid");
    assertThat(degraded.getMessage()).isEqualTo("ConfigMap misnamed key 'V2_add_b.sql' is not a Flyway migration name "
        + "(V<version>__<description>.sql or R__<description>.sql, e.g. V1__init.sql)");
    assertThat(db.queryColumn("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).isEmpty();
  }

  @Test
  void extensionVersionsAreReportedAndAnUnknownExtensionIsUnavailable(TestDatabase db) throws Exception {
    operator.secret("db", Map.of("username", db.user(), "password", db.password()));
    operator.apply(unit("ext", db, "[vector, pg_trgm]", null));
    operator.awaitCondition("ext", "Ready", "True", "Reconciled");
    var installed = db.queryColumn("SELECT extname || '=' || extversion FROM pg_extension WHERE extname IN ('vector', 'pg_trgm') ORDER BY 1");
    assertThat(installed).hasSize(2);
    var reported = operator.unit("ext").getStatus().database().extensions();
    assertThat(reported.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted().toList()).isEqualTo(installed);

    operator.apply(unit("ext", db, "[vector, no_such_extension]", null));
    var unavailable = operator.awaitCondition("ext", "Degraded", "True", "ExtensionUnavailable");
    assertThat(unavailable.getMessage()).startsWith("Cannot create extension no_such_extension: ")
        .contains("is not available");
  }

  private void withV3(String v3) throws Exception {
    var configMap = operator.client().getKubernetesSerialization()
        .unmarshal(Files.readString(Path.of("samples/recipe-schema.yaml")), ConfigMap.class);
    configMap.getData().put("V3__servings.sql", v3);
    configMap.getMetadata().setNamespace(operator.namespace());
    operator.client().resource(configMap).forceConflicts().serverSideApply();
  }

  private String unit(String name, TestDatabase db, String extensions, String migrationsConfigMap) {
    String migrations = migrationsConfigMap == null ? "" : "  migrations:\n    configMaps: [" + migrationsConfigMap + "]\n";
    return operator.units().unitYaml(name, "db", db) + "  extensions: " + extensions + "\n" + migrations;
  }

  private static List<String> columns(TestDatabase db, String table) throws SQLException {
    return db.queryColumn("SELECT column_name FROM information_schema.columns WHERE table_name = '" + table + "' ORDER BY ordinal_position");
  }
}
