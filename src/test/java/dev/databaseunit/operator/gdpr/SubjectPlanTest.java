package dev.databaseunit.operator.gdpr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.databaseunit.operator.api.v1alpha1.CachePolicy;
import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.api.v1alpha1.GdprSpec;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The subject plan from a spec, the cache keys of a subject and the export TTL: pure, no database. */
class SubjectPlanTest {
  @Test
  void noGdprSectionMeansTheSeedSchema() throws UnitProblem {
    assertThat(SubjectPlan.of(null).tableNames()).containsExactly("user_sessions", "data_export_requests",
        "parsed_ingredients", "recipe_embeddings", "recipes", "user_taste_profiles", "consents", "users");
  }

  @Test
  void identifiersThatSlippedPastTheCrdAreRefusedWithEveryProblemNamed() {
    var spec = new GdprSpec(List.of(
        new GdprSpec.SubjectTable("users\"; DROP TABLE users; --", "id", null),
        new GdprSpec.SubjectTable("recipes", "User_Id", null),
        new GdprSpec.SubjectTable("parsed_ingredients", null, new GdprSpec.JoinPath("recipe_id", "recipes r", null, "user_id")),
        new GdprSpec.SubjectTable("recipes", "user_id", null),
        new GdprSpec.SubjectTable("consents", "user_id", new GdprSpec.JoinPath("a", "b", "c", "d"))), "audit-log", null, null, null);
    assertThatThrownBy(() -> SubjectPlan.of(spec))
        .isInstanceOfSatisfying(UnitProblem.class, p -> assertThat(p.reason()).isEqualTo(EventReason.SubjectPlanInvalid))
        .hasMessage("spec.gdpr of the DatabaseUnit: auditTable 'audit-log' is not a valid SQL identifier (lower-case letters, digits, _); "
            + "subjectTables[0].table 'users\"; DROP TABLE users; --' is not a valid SQL identifier (lower-case letters, digits, _); "
            + "subjectTables[1].subjectColumn 'User_Id' is not a valid SQL identifier (lower-case letters, digits, _); "
            + "subjectTables[2].via.parentTable 'recipes r' is not a valid SQL identifier (lower-case letters, digits, _); "
            + "subjectTables[3].table 'recipes' is listed twice; "
            + "subjectTables[4] must set exactly one of subjectColumn or via");
  }

  @Test
  void aJoinPathDefaultsItsParentKeyToId() throws UnitProblem {
    var spec = new GdprSpec(List.of(
        new GdprSpec.SubjectTable("app.parsed_ingredients", null, new GdprSpec.JoinPath("recipe_id", "app.recipes", null, "user_id"))),
        null, null, null, null);
    var table = SubjectPlan.of(spec).tables().getFirst();
    assertThat(table.via()).isEqualTo(new SubjectPlan.Via("recipe_id", "app.recipes", "id", "user_id"));
    assertThat(SubjectSql.delete(table, null)).isEqualTo(
        "DELETE FROM \"app\".\"parsed_ingredients\" WHERE \"recipe_id\" IN (SELECT \"id\" FROM \"app\".\"recipes\" WHERE \"user_id\" = ?)");
  }

  @Test
  void cacheKeysOfASubjectComeFromThePoliciesOnSubjectTables() {
    var cache = new CacheSpec(null, null, null, null, "shop", List.of(
        new CachePolicy("user_profiles", "1h", CachePolicy.Strategy.WRITE_THROUGH, CachePolicy.InvalidationMode.EVENT_DRIVEN, "users", "id"),
        new CachePolicy("recipes", "30m", CachePolicy.Strategy.WRITE_BEHIND, CachePolicy.InvalidationMode.EVENT_DRIVEN, "recipes", "id"),
        new CachePolicy("search_results", "15m", CachePolicy.Strategy.CACHE_ASIDE, CachePolicy.InvalidationMode.MANUAL, null, null),
        new CachePolicy("orders", "1h", CachePolicy.Strategy.CACHE_ASIDE, CachePolicy.InvalidationMode.EVENT_DRIVEN, "orders", "id")), null);
    var plan = SubjectPlan.seedDefault();
    assertThat(SubjectCacheKeys.rowKeyColumns(cache, plan)).containsExactly(Map.entry("recipes", "id"));
    var keys = SubjectCacheKeys.of(cache, "unit", plan, "4*2?[x]\\", Map.of("recipes", List.of("7", "8")));
    assertThat(keys.patterns()).containsExactly("shop:user_profiles:4\\*2\\?\\[x\\]\\\\", "shop:user_profiles:4\\*2\\?\\[x\\]\\\\:*");
    assertThat(keys.exact()).containsExactly("shop:recipes:7", "shop:recipes:8");
    var defaultPrefix = new CacheSpec(null, null, null, null, null, cache.policies(), null);
    assertThat(SubjectCacheKeys.of(defaultPrefix, "recipes-unit", plan, "42", Map.of()).patterns())
        .containsExactly("recipes-unit:user_profiles:42", "recipes-unit:user_profiles:42:*");
    assertThat(SubjectCacheKeys.of(null, "unit", plan, "42", Map.of()).isEmpty()).isTrue();
  }
}
