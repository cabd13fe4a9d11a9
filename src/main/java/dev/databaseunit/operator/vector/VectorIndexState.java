package dev.databaseunit.operator.vector;

/** The values of {@code status.vectorIndexes[].state}. */
public final class VectorIndexState {
  /** Not in the database and no build running (yet). */
  public static final String ABSENT = "Absent";
  /** The first build of the index is running. */
  public static final String BUILDING = "Building";
  /** The index is valid with the declared parameters. */
  public static final String READY = "Ready";
  /** A replacement with new parameters is being built or swapped in; the old index serves meanwhile. */
  public static final String REBUILDING = "Rebuilding";
  /** An invalid index from an interrupted build; it is dropped and built again. */
  public static final String INVALID = "Invalid";

  private VectorIndexState() {}
}
