package dev.databaseunit.operator.pool;

import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.PoolerReplicaStatus;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnitStatus.PoolerStatus;
import dev.databaseunit.operator.common.UnitProblem;
import dev.databaseunit.operator.pool.PoolSizingPolicy.Direction;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The pool loop of one unit: a {@link PoolController} per PgBouncer it can reach (each ready pod of the managed
 * pooler, or the one external PgBouncer), each sampled and sized through its own admin console, all within one budget
 * ({@link PoolBudget}). Every tick splits the budget by what each replica's policy last wanted, then ticks the
 * replicas whose size is above their new share first, so the sizes sum to at most the budget at every moment (as long
 * as each replica answers: one that does not keeps the size it had, which is counted against the others). A replica
 * grows only into connections the others have actually closed, as their last samples show.
 */
final class ReplicaPools {

  /** A PgBouncer of the unit: a pod name (or host:port for an external one) and its admin console. */
  record Replica(String name, AdminEndpoint endpoint) {}

  private final String database;
  private final Clock clock;
  private final PoolController.Listener listener;
  private final PoolMetrics metrics;
  private final Map<String, PoolController> replicas = new TreeMap<>();
  private PoolSettings settings;
  private int budget;
  private PoolerStatus published;
  private Instant publishedAt = Instant.EPOCH;

  /** @param previous the unit's pooler status, or null for a new unit */
  ReplicaPools(String database, PoolSettings settings, int budget, PoolerStatus previous, Clock clock,
      PoolController.Listener listener, PoolMetrics metrics) {
    this.database = database;
    this.settings = settings;
    this.budget = budget;
    this.published = previous;
    this.clock = clock;
    this.listener = listener;
    this.metrics = metrics;
  }

  /** The replicas as they are now: new ones get a loop, gone ones are dropped, known ones get the new endpoint. */
  synchronized void update(List<Replica> current, PoolSettings newSettings, int newBudget) {
    settings = newSettings;
    budget = newBudget;
    replicas.keySet().retainAll(current.stream().map(Replica::name).toList());
    boolean several = current.size() > 1;
    for (Replica replica : current) {
      replicas.compute(replica.name(), (name, known) -> {
        if (known == null) {
          // A replica that joins a running unit reads its size from PgBouncer; only a new unit applies initialSize.
          return new PoolController(database, replica.endpoint(), settings, published, clock, named(several ? name : null),
              metrics);
        }
        known.update(replica.endpoint(), settings);
        return known;
      });
    }
  }

  /** One tick of every replica, within the budget. */
  synchronized void tick() {
    if (replicas.isEmpty()) {
      return;
    }
    List<String> names = List.copyOf(replicas.keySet());
    List<Integer> shares = PoolBudget.split(budget, settings.minSize(), names.stream().map(n -> replicas.get(n).wanted()).toList());
    var order = new ArrayList<Integer>();
    for (int i = 0; i < names.size(); i++) {
      order.add(i);
    }
    // Those to shrink first, so a grow never counts on connections another replica still holds.
    order.sort(Comparator.comparing(i -> replicas.get(names.get(i)).held() <= shares.get(i)));
    for (int i : order) {
      PoolController replica = replicas.get(names.get(i));
      int others = 0;
      for (String name : names) {
        others += name.equals(names.get(i)) ? 0 : replicas.get(name).committed();
      }
      // A shrink keeps the sum within the budget; a grow may only take what the others leave, counting connections a
      // shrunk replica has not closed yet.
      int held = replica.held();
      int share = shares.get(i);
      replica.tick(held > share ? share : Math.min(share, Math.max(held, budget - others)));
    }
    var status = aggregate();
    if (status != null) {
      metrics.observe(status.utilisation(), status.currentSize(), budget, status.clientsWaiting(), status.averageWaitMillis());
    }
  }

  /** The first replica's problem (by name), naming the replica when there are several. */
  synchronized Optional<UnitProblem> problem() {
    for (var entry : replicas.entrySet()) {
      var problem = entry.getValue().problem();
      if (problem.isPresent()) {
        return replicas.size() == 1 ? problem : Optional.of(new UnitProblem(problem.get().reason(),
            "PgBouncer " + entry.getKey() + ": " + problem.get().getMessage()));
      }
    }
    return Optional.empty();
  }

  /**
   * The status to publish. It changes with a size, a share, a step or the replicas at once, and with utilisation and
   * waiting clients at most once per smoothing window, so a busy pool does not rewrite the unit every sample.
   */
  synchronized PoolerStatus status() {
    PoolerStatus now = aggregate();
    if (now == null) {
      return published;
    }
    Instant at = clock.instant();
    if (published == null || !sameShape(now, published) || !at.isBefore(publishedAt.plus(settings.window()))) {
      published = now;
      publishedAt = at;
    }
    return published;
  }

  private static boolean sameShape(PoolerStatus a, PoolerStatus b) {
    return Objects.equals(a.currentSize(), b.currentSize()) && Objects.equals(a.budget(), b.budget())
        && Objects.equals(a.lastScaleTime(), b.lastScaleTime()) && Objects.equals(a.lastScaleReason(), b.lastScaleReason())
        && Objects.equals(shape(a.replicas()), shape(b.replicas()));
  }

  private static List<List<Object>> shape(List<PoolerReplicaStatus> replicas) {
    return replicas == null ? List.of()
        : replicas.stream().map(r -> List.<Object>of(r.name(), r.size(), r.wanted(), r.share())).toList();
  }

  /** The replicas summed (null until every replica has been sampled once). */
  private PoolerStatus aggregate() {
    var rows = new ArrayList<PoolerReplicaStatus>();
    int size = 0, waiting = 0;
    double demand = 0, longestWait = 0;
    Optional<Instant> lastStep = Optional.empty();
    String lastReason = null;
    for (var entry : replicas.entrySet()) {
      var snapshot = entry.getValue().snapshot();
      if (snapshot.isEmpty()) {
        return null;
      }
      var s = snapshot.get();
      rows.add(new PoolerReplicaStatus(entry.getKey(), s.size(), s.wanted(), s.share(), round(s.utilisation(), 100),
          s.latest().clientsWaiting()));
      size += s.size();
      waiting += s.latest().clientsWaiting();
      demand += s.utilisation() * s.size();
      longestWait = Math.max(longestWait, s.latest().averageWaitMillis());
      if (s.lastStep().isPresent() && (lastStep.isEmpty() || s.lastStep().get().isAfter(lastStep.get()))) {
        lastStep = s.lastStep();
        lastReason = replicas.size() > 1 && s.lastReason() != null ? entry.getKey() + ": " + s.lastReason() : s.lastReason();
      }
    }
    if (rows.isEmpty()) {
      return null;
    }
    if (lastStep.isEmpty() && published != null) {
      lastReason = published.lastScaleReason();
    }
    return new PoolerStatus(size, round(size > 0 ? demand / size : 0, 100), waiting, round(longestWait, 10),
        lastStep.map(Instant::toString).orElse(published != null ? published.lastScaleTime() : null), lastReason, budget,
        List.copyOf(rows));
  }

  private PoolController.Listener named(String name) {
    if (name == null) {
      return listener;
    }
    return new PoolController.Listener() {
      @Override
      public void scaled(Direction direction, int from, int to, String reason) {
        listener.scaled(direction, from, to, name + ": " + reason);
      }

      @Override
      public void reapplied(int found, int applied) {
        listener.reapplied(found, applied);
      }
    };
  }

  private static double round(double value, int scale) {
    return Math.round(value * scale) / (double) scale;
  }
}
