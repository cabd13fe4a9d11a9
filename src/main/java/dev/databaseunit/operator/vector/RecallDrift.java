package dev.databaseunit.operator.vector;

/**
 * When writes make a recall measurement stale: HNSW inserts link new rows into the graph greedily and deletes leave
 * holes until VACUUM repairs them, so after enough churn the ef_search chosen before may no longer meet the target.
 */
public final class RecallDrift {
  /** Share of the table's live rows written since the probe that calls for a new one. */
  static final double SHARE = 0.2;
  /** Fewer writes than this never do: on a small table a handful of rows is noise. */
  static final long MIN_WRITES = 100;

  private RecallDrift() {}

  /**
   * @param writesAtProbe n_tup_ins + n_tup_upd + n_tup_del at the last probe, or null before any
   * @param writesNow the same counter now; below writesAtProbe when the statistics were reset
   * @param liveRows n_live_tup now
   */
  public static boolean stale(Long writesAtProbe, long writesNow, long liveRows) {
    if (writesAtProbe == null) {
      return false;
    }
    long written = writesNow - writesAtProbe;
    // A reset counter says nothing about what happened: probe again rather than never.
    return written < 0 || written >= Math.max(MIN_WRITES, (long) Math.ceil(SHARE * liveRows));
  }
}
