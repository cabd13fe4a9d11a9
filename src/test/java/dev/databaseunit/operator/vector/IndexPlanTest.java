package dev.databaseunit.operator.vector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.databaseunit.operator.vector.IndexPlan.Observed;
import dev.databaseunit.operator.vector.IndexPlan.Step;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class IndexPlanTest {
  private static final HnswParameters DESIRED = new HnswParameters("embedding", "vector_cosine_ops", 16, 64);
  private static final HnswParameters OTHER_M = new HnswParameters("embedding", "vector_cosine_ops", 8, 64);
  private static final HnswParameters OTHER_OPCLASS = new HnswParameters("embedding", "vector_l2_ops", 16, 64);
  private static final HnswParameters OTHER_COLUMN = new HnswParameters("taste", "vector_cosine_ops", 16, 64);
  private static final HnswParameters OTHER_EF = new HnswParameters("embedding", "vector_cosine_ops", 16, 128);

  private static Optional<Observed> valid(HnswParameters p) {
    return Optional.of(new Observed(1, true, p));
  }

  private static Optional<Observed> invalid(HnswParameters p) {
    return Optional.of(new Observed(2, false, p));
  }

  private static Step decide(Optional<Observed> current, Optional<Observed> replacement, Optional<Observed> retired) {
    return IndexPlan.decide(DESIRED, current, replacement, retired);
  }

  @Test
  void withRebuildInAWindowAReconcileOnlyMakesSureAValidIndexServes() {
    var none = Optional.<Observed>empty();
    // Whatever else the plan would do while a valid index serves waits for the window.
    assertThat(IndexPlan.decideOutsideWindow(DESIRED, valid(OTHER_M), none, none)).isEqualTo(Step.AWAIT_WINDOW);
    assertThat(IndexPlan.decideOutsideWindow(DESIRED, valid(OTHER_M), valid(DESIRED), none)).isEqualTo(Step.AWAIT_WINDOW);
    assertThat(IndexPlan.decideOutsideWindow(DESIRED, valid(OTHER_M), invalid(DESIRED), none)).isEqualTo(Step.AWAIT_WINDOW);
    assertThat(IndexPlan.decideOutsideWindow(DESIRED, valid(DESIRED), none, valid(OTHER_M))).isEqualTo(Step.AWAIT_WINDOW);
    assertThat(IndexPlan.decideOutsideWindow(DESIRED, valid(DESIRED), none, none)).isEqualTo(Step.NOTHING);
    // Without a valid index there is nothing to wait with.
    assertThat(IndexPlan.decideOutsideWindow(DESIRED, none, none, none)).isEqualTo(Step.CREATE);
    assertThat(IndexPlan.decideOutsideWindow(DESIRED, invalid(OTHER_M), none, none)).isEqualTo(Step.REPLACE_INVALID);
    assertThat(IndexPlan.decideOutsideWindow(DESIRED, none, valid(DESIRED), none)).isEqualTo(Step.SWAP);
  }

  @Test
  void freshTableIsCreatedAndAMatchingIndexIsLeftAlone() {
    assertThat(decide(Optional.empty(), Optional.empty(), Optional.empty())).isEqualTo(Step.CREATE);
    assertThat(decide(valid(DESIRED), Optional.empty(), Optional.empty())).isEqualTo(Step.NOTHING);
  }

  @Test
  void anInvalidLeftoverIsReplaced() {
    assertThat(decide(invalid(DESIRED), Optional.empty(), Optional.empty())).isEqualTo(Step.REPLACE_INVALID);
    assertThat(decide(invalid(OTHER_M), Optional.empty(), Optional.empty())).isEqualTo(Step.REPLACE_INVALID);
  }

  @Test
  void everyParameterChangeBuildsAReplacementNextToTheServingIndex() {
    for (var changed : List.of(OTHER_M, OTHER_OPCLASS, OTHER_COLUMN, OTHER_EF)) {
      assertThat(decide(valid(changed), Optional.empty(), Optional.empty())).as(changed.toString()).isEqualTo(Step.BUILD_REPLACEMENT);
    }
  }

  @Test
  void aValidMatchingReplacementIsSwappedInWhateverTheCurrentIndex() {
    assertThat(decide(valid(OTHER_M), valid(DESIRED), Optional.empty())).isEqualTo(Step.SWAP);
    assertThat(decide(invalid(DESIRED), valid(DESIRED), Optional.empty())).isEqualTo(Step.SWAP);
    assertThat(decide(Optional.empty(), valid(DESIRED), Optional.empty())).isEqualTo(Step.SWAP);
  }

  @Test
  void aStaleOrInvalidReplacementIsDroppedBeforeAnythingElse() {
    assertThat(decide(valid(OTHER_M), invalid(DESIRED), Optional.empty())).isEqualTo(Step.DROP_REPLACEMENT);
    // The spec changed again while the replacement was built.
    assertThat(decide(valid(OTHER_M), valid(OTHER_EF), Optional.empty())).isEqualTo(Step.DROP_REPLACEMENT);
    // The spec went back to what serves: the replacement is not needed.
    assertThat(decide(valid(DESIRED), valid(DESIRED), Optional.empty())).isEqualTo(Step.DROP_REPLACEMENT);
  }

  @Test
  void theRetiredIndexOfAnInterruptedSwapIsDroppedFirst() {
    assertThat(decide(valid(DESIRED), Optional.empty(), valid(OTHER_M))).isEqualTo(Step.DROP_RETIRED);
    assertThat(decide(valid(OTHER_M), valid(DESIRED), invalid(OTHER_M))).isEqualTo(Step.DROP_RETIRED);
  }

  @Test
  void followingTheStepsOfARebuildEndsWithOneMatchingIndex() {
    // Simulates the catalog through a parameter change, one step per reconcile, as the capability takes them.
    Optional<Observed> current = valid(OTHER_M);
    Optional<Observed> replacement = Optional.empty();
    Optional<Observed> retired = Optional.empty();
    int steps = 0;
    Step step;
    while ((step = decide(current, replacement, retired)) != Step.NOTHING && steps++ < 10) {
      assertThat(current.isPresent() && current.get().valid() || step == Step.SWAP)
          .as("a valid index serves before %s", step).isTrue();
      switch (step) {
        case BUILD_REPLACEMENT -> replacement = valid(DESIRED);
        case SWAP -> {
          retired = current;
          current = replacement;
          replacement = Optional.empty();
        }
        case DROP_RETIRED -> retired = Optional.empty();
        default -> throw new AssertionError("unexpected " + step);
      }
    }
    assertThat(step).isEqualTo(Step.NOTHING);
    assertThat(current).isEqualTo(valid(DESIRED));
  }

  @Test
  void stateShownFromTheCatalog() {
    assertThat(IndexPlan.state(Optional.empty())).isEqualTo("Absent");
    assertThat(IndexPlan.state(valid(DESIRED))).isEqualTo("Ready");
    assertThat(IndexPlan.state(invalid(DESIRED))).isEqualTo("Invalid");
  }

  @Test
  void temporaryNamesStayWithinPostgresLimits() {
    assertThat(IndexPlan.replacementName("recipe_embedding_idx")).isEqualTo("recipe_embedding_idx_new");
    assertThat(IndexPlan.retiredName("recipe_embedding_idx")).isEqualTo("recipe_embedding_idx_old");
    String longest = "x".repeat(63);
    assertThat(IndexPlan.replacementName(longest)).hasSize(63).endsWith("_new");
    assertThat(IndexPlan.retiredName(longest)).hasSize(63).endsWith("_old");
  }
}
