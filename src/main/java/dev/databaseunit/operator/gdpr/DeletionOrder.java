package dev.databaseunit.operator.gdpr;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Deletion order over the foreign-key graph of the subject tables, as pure functions: a child table must be
 * emptied of the subject's rows before any table it references. Self-references are ignored (one DELETE
 * removes both ends, and PostgreSQL checks a NO ACTION key at the end of the statement); edges to tables
 * outside the plan are not ordering constraints here.
 */
public final class DeletionOrder {
  private DeletionOrder() {}

  /** Every way the declared order breaks a foreign key, as reasons naming both tables; empty when it is safe. */
  public static List<String> violations(List<String> declared, List<ForeignKey> keys) {
    Map<String, Integer> position = positions(declared);
    List<String> result = new ArrayList<>();
    for (ForeignKey key : keys) {
      Integer child = position.get(key.child());
      Integer parent = position.get(key.parent());
      if (child != null && parent != null && !key.child().equals(key.parent()) && parent < child) {
        result.add(key.parent() + " is deleted before " + key.child() + ", but " + key.what()
            + ": list " + key.child() + " before " + key.parent());
      }
    }
    return result;
  }

  /**
   * An order that satisfies every key, as close to {@code preferred} as possible (a stable topological sort:
   * among the tables free to go next, the one listed first). Throws when the keys form a cycle.
   */
  public static List<String> derive(List<String> preferred, List<ForeignKey> keys) {
    Map<String, Integer> position = positions(preferred);
    Map<String, Integer> unmetChildren = new HashMap<>();
    Map<String, List<String>> parentsOf = new HashMap<>();
    preferred.forEach(t -> unmetChildren.put(t, 0));
    for (ForeignKey key : keys) {
      if (position.containsKey(key.child()) && position.containsKey(key.parent()) && !key.child().equals(key.parent())) {
        parentsOf.computeIfAbsent(key.child(), k -> new ArrayList<>()).add(key.parent());
        unmetChildren.merge(key.parent(), 1, Integer::sum);
      }
    }
    List<String> order = new ArrayList<>();
    boolean[] placed = new boolean[preferred.size()];
    while (order.size() < preferred.size()) {
      int next = -1;
      for (int i = 0; i < preferred.size(); i++) {
        if (!placed[i] && unmetChildren.get(preferred.get(i)) == 0) {
          next = i;
          break;
        }
      }
      if (next < 0) {
        List<String> stuck = new ArrayList<>();
        for (int i = 0; i < preferred.size(); i++) {
          if (!placed[i]) {
            stuck.add(preferred.get(i));
          }
        }
        throw new IllegalArgumentException("the foreign keys between " + String.join(", ", stuck)
            + " form a cycle; no deletion order satisfies them");
      }
      placed[next] = true;
      String table = preferred.get(next);
      order.add(table);
      for (String parent : parentsOf.getOrDefault(table, List.of())) {
        unmetChildren.merge(parent, -1, Integer::sum);
      }
    }
    return order;
  }

  private static Map<String, Integer> positions(List<String> tables) {
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < tables.size(); i++) {
      position.put(tables.get(i), i);
    }
    return position;
  }
}
