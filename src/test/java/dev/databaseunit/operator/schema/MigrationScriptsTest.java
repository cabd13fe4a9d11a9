package dev.databaseunit.operator.schema;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.internal.resource.ResourceNameParser;
import org.junit.jupiter.api.Test;

class MigrationScriptsTest {

  @Test
  void versionedRepeatableAndConfigurationFilesAreAccepted() {
    var result = MigrationScripts.collect(Map.of("schema", Map.of(
        "V1__init.sql", "CREATE TABLE a (id int);",
        "V1.1__add_b.sql", "CREATE TABLE b (id int);",
        "V2_1__index.sql", "CREATE INDEX CONCURRENTLY i ON a (id);",
        "V2_1__index.sql.conf", "executeInTransaction=false",
        "R__views.sql", "CREATE OR REPLACE VIEW v AS SELECT 1;")));
    assertThat(result.problem()).isEmpty();
    assertThat(result.scripts()).containsOnlyKeys("V1__init.sql", "V1.1__add_b.sql", "V2_1__index.sql", "V2_1__index.sql.conf", "R__views.sql");
    assertThat(result.scripts().get("V1__init.sql").configMap()).isEqualTo("schema");
  }

  @Test
  void aKeyThatIsNotAFlywayNameIsRejectedWithItsConfigMapAndKey() {
    for (String key : List.of("init.sql", "V1_init.sql", "v1__init.sql", "V1__init.txt", "V__init.sql", "V1__.sql",
        "Vone__init.sql", "U1__undo.sql", "beforeMigrate.sql", "V1__init.sql.bak", "R1__views.sql")) {
      var result = MigrationScripts.collect(Map.of("schema", Map.of(key, "SELECT 1;")));
      assertThat(result.problem()).as(key).hasValueSatisfying(p ->
          assertThat(p).contains("ConfigMap schema key '" + key + "' is not a Flyway migration name"));
      assertThat(result.scripts()).isEmpty();
    }
  }

  @Test
  void theSameKeyInTwoConfigMapsIsRejected() {
    var maps = new LinkedHashMap<String, Map<String, String>>();
    maps.put("base", Map.of("V1__init.sql", "SELECT 1;"));
    maps.put("extra", Map.of("V1__init.sql", "SELECT 2;"));
    assertThat(MigrationScripts.collect(maps).problem())
        .hasValue("Migration V1__init.sql is in both ConfigMap base and extra");
  }

  @Test
  void twoScriptsWithTheSameVersionAreRejectedEvenWhenWrittenDifferently() {
    assertThat(MigrationScripts.collect(Map.of("s", Map.of("V1__a.sql", "", "V1__b.sql", ""))).problem())
        .hasValue("Migrations V1__a.sql and V1__b.sql have the same version 1");
    // Flyway compares versions numerically and ignores trailing zeros: 1.0 and 1 collide, 1.01 and 1.1 too.
    assertThat(MigrationScripts.collect(Map.of("s", Map.of("V1__a.sql", "", "V1.0__b.sql", ""))).problem()).isPresent();
    assertThat(MigrationScripts.collect(Map.of("s", Map.of("V1.01__a.sql", "", "V1_1__b.sql", ""))).problem()).isPresent();
    assertThat(MigrationScripts.collect(Map.of("s", Map.of("V1.1__a.sql", "", "V1.10__b.sql", ""))).problem()).isEmpty();
  }

  @Test
  void aConfigurationWithoutItsScriptIsRejected() {
    assertThat(MigrationScripts.collect(Map.of("s", Map.of("V3__x.sql.conf", "executeInTransaction=false"))).problem())
        .hasValue("Script configuration V3__x.sql.conf (ConfigMap s) has no migration V3__x.sql");
  }

  @Test
  void anEmptyOrDataLessConfigMapGivesNoScripts() {
    var maps = new LinkedHashMap<String, Map<String, String>>();
    maps.put("empty", Map.of());
    maps.put("none", null);
    var result = MigrationScripts.collect(maps);
    assertThat(result.problem()).isEmpty();
    assertThat(result.scripts()).isEmpty();
  }

  /**
   * Random keys from the characters a ConfigMap key may hold, checked against Flyway's own name parser: every
   * key we accept is one Flyway picks up as a versioned or repeatable migration with the same version, so no
   * accepted script is ever skipped silently. (We are stricter than Flyway in places, which is the safe side.)
   */
  @Test
  void everyAcceptedRandomKeyIsAMigrationToFlywayToo() {
    var flyway = new ResourceNameParser(Flyway.configure());
    var random = new Random(42);
    String alphabet = "VR_.-0123456789abcsqlonf";
    int accepted = 0;
    int rejected = 0;
    for (int i = 0; i < 20_000; i++) {
      var key = new StringBuilder(random.nextInt(3) == 0 ? "V1__" : random.nextInt(3) == 0 ? "R__" : "");
      int length = 1 + random.nextInt(12);
      for (int j = 0; j < length; j++) {
        key.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      if (random.nextBoolean()) {
        key.append(".sql");
      }
      String name = key.toString();
      var result = MigrationScripts.collect(Map.of("s", Map.of(name, "SELECT 1;")));
      if (result.problem().isEmpty()) {
        accepted++;
        var parsed = flyway.parse(name);
        assertThat(parsed.isValid()).as(name).isTrue();
        assertThat(parsed.getPrefix()).as(name).isIn("V", "R");
        assertThat(parsed.getSuffix()).as(name).isEqualTo(".sql");
      } else {
        rejected++;
      }
    }
    assertThat(accepted).as("the generator must produce valid names too").isGreaterThan(500);
    assertThat(rejected).isGreaterThan(500);
  }
}
