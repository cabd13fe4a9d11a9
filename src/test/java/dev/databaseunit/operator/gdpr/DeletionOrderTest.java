package dev.databaseunit.operator.gdpr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeletionOrderTest {
  /** The seed schema's foreign keys (samples/recipe-schema.yaml) plus the join paths through recipes. */
  static final List<ForeignKey> SEED_KEYS = List.of(
      fk("recipes", "users"), fk("recipe_embeddings", "recipes"), fk("parsed_ingredients", "recipes"),
      fk("user_taste_profiles", "users"), fk("user_sessions", "users"), fk("data_export_requests", "users"),
      fk("consents", "users"));

  static ForeignKey fk(String child, String parent) {
    return new ForeignKey(child, parent, child + ".x references " + parent);
  }

  @Test
  void theSeedOrderIsSafeAndIsWhatDeriveKeeps() {
    List<String> seed = SubjectPlan.seedDefault().tableNames();
    assertThat(DeletionOrder.violations(seed, SEED_KEYS)).isEmpty();
    assertThat(DeletionOrder.derive(seed, SEED_KEYS)).isEqualTo(seed);
  }

  @Test
  void aViolationNamesBothTablesAndTheFix() {
    var order = List.of("users", "recipes");
    assertThat(DeletionOrder.violations(order, List.of(fk("recipes", "users"))))
        .containsExactly("users is deleted before recipes, but recipes.x references users: list recipes before users");
  }

  /** Every one of the 8! orders of the seed tables: refused exactly when some key has its parent first. */
  @Test
  void everyPermutationOfTheSeedTablesIsJudgedLikeTheDefinition() {
    List<String> seed = SubjectPlan.seedDefault().tableNames();
    int accepted = 0;
    for (List<String> order : permutations(seed)) {
      boolean safe = isLinearExtension(order, SEED_KEYS);
      assertThat(DeletionOrder.violations(order, SEED_KEYS).isEmpty()).as("%s", order).isEqualTo(safe);
      accepted += safe ? 1 : 0;
      List<String> derived = DeletionOrder.derive(order, SEED_KEYS);
      assertThat(derived).containsExactlyInAnyOrderElementsOf(seed);
      assertThat(isLinearExtension(derived, SEED_KEYS)).isTrue();
      if (safe) {
        assertThat(derived).as("a safe order is kept as declared").isEqualTo(order);
      }
    }
    // users last; recipes after its two children; the other four children of users are free: 8!/... counted by hand:
    // positions of {recipes, embeddings, ingredients} among the 7 non-users slots with recipes last of the three.
    assertThat(accepted).isEqualTo(5040 / 3);
  }

  @Test
  void randomGraphsDeriveAnOrderThatSatisfiesEveryKey() {
    var random = new Random(7);
    for (int round = 0; round < 2000; round++) {
      int n = 1 + random.nextInt(10);
      List<String> tables = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        tables.add("t" + i);
      }
      // Acyclic by construction: edges only from a higher to a lower index in a hidden ranking.
      List<String> ranking = new ArrayList<>(tables);
      Collections.shuffle(ranking, random);
      List<ForeignKey> keys = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < i; j++) {
          if (random.nextInt(3) == 0) {
            keys.add(fk(ranking.get(i), ranking.get(j)));
          }
        }
      }
      if (random.nextBoolean()) {
        keys.add(fk(tables.getFirst(), tables.getFirst()));
        keys.add(fk(tables.getFirst(), "outside_the_plan"));
      }
      Collections.shuffle(tables, random);
      List<String> derived = DeletionOrder.derive(tables, keys);
      assertThat(derived).containsExactlyInAnyOrderElementsOf(tables);
      assertThat(DeletionOrder.violations(derived, keys)).isEmpty();
      assertThat(DeletionOrder.violations(tables, keys).isEmpty()).isEqualTo(isLinearExtension(tables, keys));
    }
  }

  @Test
  void selfReferencesAndTablesOutsideThePlanDoNotConstrainTheOrder() {
    var keys = List.of(fk("users", "users"), fk("recipes", "tenants"), fk("audit", "users"));
    assertThat(DeletionOrder.violations(List.of("users", "recipes"), keys)).isEmpty();
    assertThat(DeletionOrder.derive(List.of("users", "recipes"), keys)).containsExactly("users", "recipes");
  }

  @Test
  void aCycleIsRefusedNamingItsTables() {
    var keys = List.of(fk("a", "b"), fk("b", "c"), fk("c", "a"));
    assertThatThrownBy(() -> DeletionOrder.derive(List.of("z", "a", "b", "c"), keys))
        .hasMessage("the foreign keys between a, b, c form a cycle; no deletion order satisfies them");
  }

  private static boolean isLinearExtension(List<String> order, List<ForeignKey> keys) {
    for (ForeignKey k : keys) {
      int c = order.indexOf(k.child());
      int p = order.indexOf(k.parent());
      if (c >= 0 && p >= 0 && c != p && p < c) {
        return false;
      }
    }
    return true;
  }

  private static List<List<String>> permutations(List<String> items) {
    if (items.isEmpty()) {
      return List.of(List.of());
    }
    List<List<String>> result = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      List<String> rest = new ArrayList<>(items);
      String head = rest.remove(i);
      for (List<String> tail : permutations(rest)) {
        List<String> p = new ArrayList<>();
        p.add(head);
        p.addAll(tail);
        result.add(p);
      }
    }
    return result;
  }
}
