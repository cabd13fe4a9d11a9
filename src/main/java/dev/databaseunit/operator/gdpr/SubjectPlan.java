package dev.databaseunit.operator.gdpr;

import dev.databaseunit.operator.api.v1alpha1.GdprSpec;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.events.EventReason;
import dev.databaseunit.operator.postgres.SqlIdentifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;

/**
 * Where a data subject's rows live, in the declared deletion order (children first): each table holds the
 * subject id in a column of its own, or reaches it through one join to a parent table. Every identifier has
 * passed {@link SqlIdentifier#isValid}; SQL built from a plan quotes them and binds the subject id.
 */
public record SubjectPlan(List<SubjectTable> tables, String auditTable) {
  public static final String DEFAULT_AUDIT_TABLE = "gdpr_audit_log";

  /** One subject table; exactly one of subjectColumn and via is set. */
  public record SubjectTable(String table, String subjectColumn, Via via) {
    public boolean direct() {
      return via == null;
    }
  }

  /** {@code table.column} references {@code parentTable.parentKey}; {@code parentTable.subjectColumn} holds the subject id. */
  public record Via(String column, String parentTable, String parentKey, String subjectColumn) {}

  public SubjectPlan {
    tables = List.copyOf(tables);
  }

  public List<String> tableNames() {
    return tables.stream().map(SubjectTable::table).toList();
  }

  public Optional<SubjectTable> table(String name) {
    return tables.stream().filter(t -> t.table().equals(name)).findFirst();
  }

  /** The same tables in another order (the order derived from foreign keys). */
  public SubjectPlan reordered(List<String> order) {
    return new SubjectPlan(order.stream().map(n -> table(n).orElseThrow()).toList(), auditTable);
  }

  /** The seed's recipe schema (samples/recipe-schema.yaml), used when a unit declares no gdpr section. */
  public static SubjectPlan seedDefault() {
    Via viaRecipes = new Via("recipe_id", "recipes", "id", "user_id");
    return new SubjectPlan(List.of(
        new SubjectTable("user_sessions", "user_id", null),
        new SubjectTable("data_export_requests", "user_id", null),
        new SubjectTable("parsed_ingredients", null, viaRecipes),
        new SubjectTable("recipe_embeddings", null, viaRecipes),
        new SubjectTable("recipes", "user_id", null),
        new SubjectTable("user_taste_profiles", "user_id", null),
        new SubjectTable("consents", "user_id", null),
        new SubjectTable("users", "id", null)), DEFAULT_AUDIT_TABLE);
  }

  /**
   * The plan a unit's spec declares (the seed default without a gdpr section). The CRD already restricts the
   * names; this checks them again because a plan is also built from manifests that never met the API server.
   */
  public static SubjectPlan of(GdprSpec spec) throws UnitProblem {
    if (spec == null) {
      return seedDefault();
    }
    String audit = spec.auditTable() != null ? spec.auditTable() : DEFAULT_AUDIT_TABLE;
    List<String> problems = new ArrayList<>();
    requireIdentifier(problems, "auditTable", audit, false);
    List<SubjectTable> tables = new ArrayList<>();
    var seen = new HashSet<String>();
    List<GdprSpec.SubjectTable> declared = spec.subjectTables() != null ? spec.subjectTables() : List.of();
    if (declared.isEmpty()) {
      problems.add("subjectTables is empty");
    }
    for (int i = 0; i < declared.size(); i++) {
      GdprSpec.SubjectTable t = declared.get(i);
      String at = "subjectTables[" + i + "]";
      requireIdentifier(problems, at + ".table", t.table(), true);
      if (t.table() != null && !seen.add(t.table())) {
        problems.add(at + ".table " + SqlIdentifier.describe(t.table()) + " is listed twice");
      }
      if ((t.subjectColumn() == null) == (t.via() == null)) {
        problems.add(at + " must set exactly one of subjectColumn or via");
        continue;
      }
      Via via = null;
      if (t.via() != null) {
        GdprSpec.JoinPath v = t.via();
        String parentKey = v.parentKey() != null ? v.parentKey() : "id";
        requireIdentifier(problems, at + ".via.column", v.column(), false);
        requireIdentifier(problems, at + ".via.parentTable", v.parentTable(), true);
        requireIdentifier(problems, at + ".via.parentKey", parentKey, false);
        requireIdentifier(problems, at + ".via.subjectColumn", v.subjectColumn(), false);
        via = new Via(v.column(), v.parentTable(), parentKey, v.subjectColumn());
      } else {
        requireIdentifier(problems, at + ".subjectColumn", t.subjectColumn(), false);
      }
      tables.add(new SubjectTable(t.table(), t.subjectColumn(), via));
    }
    if (!problems.isEmpty()) {
      throw new UnitProblem(EventReason.SubjectPlanInvalid, "spec.gdpr of the DatabaseUnit: " + String.join("; ", problems));
    }
    return new SubjectPlan(tables, audit);
  }

  private static void requireIdentifier(List<String> problems, String field, String value, boolean qualified) {
    boolean valid = qualified && value != null && value.indexOf('.') > 0
        ? SqlIdentifier.isValid(value.substring(0, value.indexOf('.'))) && SqlIdentifier.isValid(value.substring(value.indexOf('.') + 1))
        : SqlIdentifier.isValid(value);
    if (!valid) {
      problems.add(field + " " + SqlIdentifier.describe(value) + " is not a valid SQL identifier (lower-case letters, digits, _)");
    }
  }
}
