package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.api.v1alpha1.CachePolicy;
import dev.databaseunit.operator.api.v1alpha1.CacheSpec;
import dev.databaseunit.operator.cache.EffectiveCachePolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which Redis keys hold a subject's data, from the unit's cache policies (keys are
 * {@code <keyPrefix>:<dataType>:<id>}): a policy whose source table is a subject table and whose key column is
 * that table's subject column is keyed by the subject id itself (matched with SCAN, also {@code <id>:*}
 * sub-keys); one keyed by another column (e.g. a recipe id) names the keys of the rows the erasure deleted.
 * Pure: no Redis here.
 */
public final class SubjectCacheKeys {
  /** SCAN patterns (subject id glob-escaped) and exact keys to UNLINK. */
  public record Keys(List<String> patterns, List<String> exact) {
    public boolean isEmpty() {
      return patterns.isEmpty() && exact.isEmpty();
    }
  }

  private SubjectCacheKeys() {}

  /** Table → column whose deleted values are cache ids (policies keyed by something other than the subject). */
  public static Map<String, String> rowKeyColumns(CacheSpec cache, SubjectPlan plan) {
    Map<String, String> columns = new LinkedHashMap<>();
    for (CachePolicy policy : policies(cache)) {
      plan.table(policy.sourceTable()).filter(t -> !keyedBySubject(t, policy))
          .ifPresent(t -> columns.put(t.table(), policy.keyColumn()));
    }
    return columns;
  }

  /** @param deletedKeys per table, the key column's values of the rows the erasure deleted */
  public static Keys of(CacheSpec cache, String unitName, SubjectPlan plan, String subjectId,
      Map<String, List<String>> deletedKeys) {
    if (cache == null) {
      return new Keys(List.of(), List.of());
    }
    String prefix = cache.keyPrefix() != null ? cache.keyPrefix() : unitName;
    List<String> patterns = new ArrayList<>();
    List<String> exact = new ArrayList<>();
    for (CachePolicy policy : policies(cache)) {
      var table = plan.table(policy.sourceTable());
      if (table.isEmpty()) {
        continue;
      }
      String typePrefix = EffectiveCachePolicy.globEscape(prefix + ":" + policy.dataType() + ":");
      if (keyedBySubject(table.get(), policy)) {
        patterns.add(typePrefix + EffectiveCachePolicy.globEscape(subjectId));
        patterns.add(typePrefix + EffectiveCachePolicy.globEscape(subjectId) + ":*");
      } else {
        deletedKeys.getOrDefault(table.get().table(), List.of())
            .forEach(id -> exact.add(prefix + ":" + policy.dataType() + ":" + id));
      }
    }
    return new Keys(patterns, exact);
  }

  private static boolean keyedBySubject(SubjectPlan.SubjectTable table, CachePolicy policy) {
    return table.direct() && table.subjectColumn().equals(policy.keyColumn());
  }

  private static List<CachePolicy> policies(CacheSpec cache) {
    return cache == null || cache.policies() == null ? List.of()
        : cache.policies().stream().filter(p -> p.sourceTable() != null && p.keyColumn() != null).toList();
  }
}
