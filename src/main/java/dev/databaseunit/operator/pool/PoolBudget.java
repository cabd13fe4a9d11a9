package dev.databaseunit.operator.pool;

import java.util.ArrayList;
import java.util.List;

/**
 * The server connections a unit's PgBouncer replicas may hold together, and how they are shared out: pure functions
 * over plain values. Every replica sizes its own pool with the seed's policy; its size is then capped by its share of
 * one budget, so the sum of the pool sizes (the most server connections the replicas can open) never exceeds it.
 */
public final class PoolBudget {

  private PoolBudget() {}

  /**
   * The connections the database leaves to the unit's poolers: max_connections less the slots reserved for
   * superusers (and, from PostgreSQL 16, reserved_connections) and those of the operator's own pool.
   *
   * @param maxConnections max_connections less the reserved slots, as the server reports it; null when unknown
   * @param operatorConnections the connections the operator itself may hold to the database
   * @return the budget: maxSize, or less when the server has fewer connections to give (at least 1)
   */
  public static int limit(int maxSize, Integer maxConnections, int operatorConnections) {
    if (maxConnections == null) {
      return maxSize;
    }
    return Math.max(1, Math.min(maxSize, maxConnections - operatorConnections));
  }

  /**
   * Each replica's cap, in the order of {@code wants}. When the wants fit in the budget every replica gets what it
   * wants. Otherwise each gets the floor first (minSize, or an equal share when the budget cannot give every replica
   * minSize) and the rest of the budget is shared in proportion to what each wants above the floor, by largest
   * remainder (ties to the earlier replica). The caps always sum to at most the budget, and no replica gets more than
   * it wants unless that is below the floor.
   *
   * @param budget at least 1
   * @param floor minSize, at least 1
   * @param wants each replica's wanted pool size (the policy's decision), each at least 0
   */
  public static List<Integer> split(int budget, int floor, List<Integer> wants) {
    if (budget < 1 || floor < 1) {
      throw new IllegalArgumentException("budget and floor must be positive");
    }
    int n = wants.size();
    long total = 0;
    for (int want : wants) {
      if (want < 0) {
        throw new IllegalArgumentException("a wanted size cannot be negative");
      }
      total += want;
    }
    if (total <= budget) {
      return List.copyOf(wants);
    }
    int base = Math.min(floor, budget / n);
    long rest = budget - (long) base * n;
    long[] extra = new long[n];
    long extraTotal = 0;
    for (int i = 0; i < n; i++) {
      extra[i] = Math.max(0, wants.get(i) - base);
      extraTotal += extra[i];
    }
    long[] share = new long[n];
    long[] remainder = new long[n];
    long given = 0;
    for (int i = 0; i < n; i++) {
      share[i] = extraTotal == 0 ? 0 : rest * extra[i] / extraTotal;
      remainder[i] = extraTotal == 0 ? 0 : rest * extra[i] % extraTotal;
      given += share[i];
    }
    for (long left = Math.min(rest, extraTotal) - given; left > 0; left--) {
      int best = -1;
      for (int i = 0; i < n; i++) {
        if (share[i] < extra[i] && (best < 0 || remainder[i] > remainder[best])) {
          best = i;
        }
      }
      if (best < 0) {
        break;
      }
      share[best]++;
      remainder[best] = -1;
    }
    var caps = new ArrayList<Integer>(n);
    for (int i = 0; i < n; i++) {
      caps.add((int) (base + share[i]));
    }
    return List.copyOf(caps);
  }
}
