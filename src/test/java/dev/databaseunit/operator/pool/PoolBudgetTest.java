package dev.databaseunit.operator.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PoolBudgetTest {

  @Test
  void theLimitIsMaxSizeUnlessTheServerHasFewerConnectionsToGive() {
    assertThat(PoolBudget.limit(50, null, 4)).isEqualTo(50);
    assertThat(PoolBudget.limit(50, 97, 4)).isEqualTo(50);
    assertThat(PoolBudget.limit(50, 54, 4)).isEqualTo(50);
    assertThat(PoolBudget.limit(50, 53, 4)).isEqualTo(49);
    assertThat(PoolBudget.limit(50, 20, 4)).isEqualTo(16);
    // a server with nothing left still leaves one connection, so the pooler is not sized to zero
    assertThat(PoolBudget.limit(50, 3, 4)).isEqualTo(1);
  }

  @Test
  void wantsThatFitAreGivenAsTheyAre() {
    assertThat(PoolBudget.split(50, 5, List.of(10, 10))).containsExactly(10, 10);
    assertThat(PoolBudget.split(50, 5, List.of(45, 5))).containsExactly(45, 5);
    assertThat(PoolBudget.split(50, 5, List.of(50))).containsExactly(50);
    assertThat(PoolBudget.split(50, 5, List.of())).isEmpty();
  }

  @Test
  void aBudgetTooSmallForTheWantsIsSharedByDemandAboveTheFloor() {
    // 50 over two: 5 each, then 40 shared 35:15 → 28:12 (40·35/50 = 28, 40·15/50 = 12)
    assertThat(PoolBudget.split(50, 5, List.of(40, 20))).containsExactly(33, 17);
    // equal demand: equal shares, the odd connection to the first
    assertThat(PoolBudget.split(51, 5, List.of(50, 50))).containsExactly(26, 25);
    // an idle replica keeps its floor; the busy one takes the rest
    assertThat(PoolBudget.split(50, 5, List.of(50, 5))).containsExactly(45, 5);
    // less than minSize for everyone: equal floors of what there is
    assertThat(PoolBudget.split(10, 5, List.of(10, 10, 10))).containsExactly(4, 3, 3);
  }

  @Test
  void invalidInputsAreRefused() {
    assertThatThrownBy(() -> PoolBudget.split(0, 5, List.of(1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PoolBudget.split(5, 0, List.of(1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PoolBudget.split(5, 1, List.of(-1))).isInstanceOf(IllegalArgumentException.class);
  }

  /** Every budget 1..40, floor 1..6 and up to three replicas wanting 0..25 each. */
  @Test
  void everySplitStaysWithinTheBudgetAndFollowsDemand() {
    for (int budget = 1; budget <= 40; budget++) {
      for (int floor = 1; floor <= 6; floor++) {
        for (List<Integer> wants : wantLists(3, 25)) {
          check(budget, floor, wants, PoolBudget.split(budget, floor, wants));
        }
      }
    }
  }

  private static void check(int budget, int floor, List<Integer> wants, List<Integer> caps) {
    String what = "budget " + budget + ", floor " + floor + ", wants " + wants + " → " + caps;
    int n = wants.size();
    assertThat(caps).as(what).hasSize(n);
    int sum = caps.stream().mapToInt(Integer::intValue).sum();
    int wanted = wants.stream().mapToInt(Integer::intValue).sum();
    if (wanted <= budget) {
      assertThat(caps).as(what).isEqualTo(wants);
      return;
    }
    int base = Math.min(floor, budget / n);
    assertThat(sum).as(what).isLessThanOrEqualTo(budget);
    boolean allAtLeastBase = wants.stream().allMatch(w -> w >= base);
    if (allAtLeastBase) {
      assertThat(sum).as(what + ": the whole budget is used").isEqualTo(budget);
    }
    for (int i = 0; i < n; i++) {
      assertThat(caps.get(i)).as(what).isGreaterThanOrEqualTo(base).isLessThanOrEqualTo(Math.max(wants.get(i), base));
      for (int j = 0; j < n; j++) {
        if (wants.get(i) > wants.get(j)) {
          assertThat(caps.get(i)).as(what + ": more demand, no smaller share").isGreaterThanOrEqualTo(caps.get(j));
        }
        if (wants.get(i).equals(wants.get(j))) {
          assertThat(Math.abs(caps.get(i) - caps.get(j))).as(what + ": equal demand, equal share").isLessThanOrEqualTo(1);
        }
      }
    }
  }

  private static List<List<Integer>> wantLists(int maxReplicas, int maxWant) {
    List<List<Integer>> all = new ArrayList<>();
    List<List<Integer>> previous = List.of(List.of());
    for (int n = 1; n <= maxReplicas; n++) {
      List<List<Integer>> next = new ArrayList<>();
      for (List<Integer> prefix : previous) {
        for (int want = 0; want <= maxWant; want++) {
          var list = new ArrayList<>(prefix);
          list.add(want);
          next.add(List.copyOf(list));
        }
      }
      all.addAll(next);
      previous = next;
    }
    return all;
  }
}
