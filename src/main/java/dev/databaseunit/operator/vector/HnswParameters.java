package dev.databaseunit.operator.vector;

import dev.databaseunit.operator.api.v1alpha1.VectorIndexSpec;
import java.util.Collection;
import java.util.Objects;

/**
 * The build-time shape of an HNSW index: what decides whether an existing index can stay or must be rebuilt.
 * Read back from the catalog as well as taken from the spec, so the comparison survives an operator restart.
 *
 * @param column the indexed column
 * @param opclass pgvector operator class, e.g. {@code vector_cosine_ops}
 */
public record HnswParameters(String column, String opclass, int m, int efConstruction) {
  /** pgvector's defaults, in force when an index was built without the storage parameter. */
  static final int DEFAULT_M = 16;
  static final int DEFAULT_EF_CONSTRUCTION = 64;

  public HnswParameters {
    Objects.requireNonNull(column, "column");
    Objects.requireNonNull(opclass, "opclass");
  }

  public static HnswParameters of(VectorIndexSpec spec) {
    return new HnswParameters(spec.column(), opclassOf(spec.opclass()), valueOr(spec.m(), DEFAULT_M),
        valueOr(spec.efConstruction(), DEFAULT_EF_CONSTRUCTION));
  }

  /**
   * The parameters of an existing index from its catalog entries.
   *
   * @param reloptions {@code pg_class.reloptions} such as {@code m=16}, {@code ef_construction=64}; null or empty
   *     when the index was built with the defaults
   */
  public static HnswParameters fromCatalog(String column, String opclass, Collection<String> reloptions) {
    int m = DEFAULT_M;
    int efConstruction = DEFAULT_EF_CONSTRUCTION;
    if (reloptions != null) {
      for (String option : reloptions) {
        int eq = option.indexOf('=');
        if (eq < 0) {
          continue;
        }
        String key = option.substring(0, eq);
        String value = option.substring(eq + 1);
        if (key.equals("m")) {
          m = Integer.parseInt(value);
        } else if (key.equals("ef_construction")) {
          efConstruction = Integer.parseInt(value);
        }
      }
    }
    return new HnswParameters(column, opclass, m, efConstruction);
  }

  /** The operator class for a distance, and the operator that must appear in ORDER BY to use it. */
  public static String opclassOf(VectorIndexSpec.Opclass distance) {
    return switch (distance == null ? VectorIndexSpec.Opclass.COSINE : distance) {
      case COSINE -> "vector_cosine_ops";
      case L2 -> "vector_l2_ops";
      case IP -> "vector_ip_ops";
    };
  }

  /** The distance operator that an index with this operator class serves. */
  public String distanceOperator() {
    return switch (opclass) {
      case "vector_l2_ops" -> "<->";
      case "vector_ip_ops" -> "<#>";
      case "vector_cosine_ops" -> "<=>";
      default -> throw new IllegalStateException("not a pgvector operator class: " + opclass);
    };
  }

  private static int valueOr(Integer value, int fallback) {
    return value != null ? value : fallback;
  }
}
