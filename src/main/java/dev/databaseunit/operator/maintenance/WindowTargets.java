package dev.databaseunit.operator.maintenance;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import dev.databaseunit.operator.api.v1alpha1.DatabaseUnit;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindow;
import dev.databaseunit.operator.api.v1alpha1.MaintenanceWindowSpec;
import dev.databaseunit.operator.common.CachedObjects;
import dev.databaseunit.operator.common.LabelSelectors;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What windows act on, from the maintenance controller's informers: the units (one that appears, goes or changes its
 * labels wakes the windows of its namespace that target it) and their BackupPolicies (cache only: a run waiting for
 * the backup it asked for reads them there, not from the API).
 */
final class WindowTargets {
  private volatile InformerEventSource<DatabaseUnit, MaintenanceWindow> unitSource;
  private volatile InformerEventSource<BackupPolicy, MaintenanceWindow> policySource;
  private final CachedObjects<DatabaseUnit> units = CachedObjects.of(() -> unitSource);
  private final CachedObjects<BackupPolicy> policies = CachedObjects.of(() -> policySource);

  List<EventSource<?, MaintenanceWindow>> prepare(EventSourceContext<MaintenanceWindow> context) {
    unitSource = new InformerEventSource<>(InformerEventSourceConfiguration.from(DatabaseUnit.class, MaintenanceWindow.class)
        .withNamespacesInheritedFromController()
        .withOnUpdateFilter((updated, old) -> !Objects.equals(updated.getMetadata().getLabels(), old.getMetadata().getLabels()))
        .withSecondaryToPrimaryMapper(unit -> context.getPrimaryCache().list(unit.getMetadata().getNamespace(), w -> targets(w, unit))
            .map(ResourceID::fromResource).collect(Collectors.toSet()))
        .build(), context);
    policySource = new InformerEventSource<>(InformerEventSourceConfiguration.from(BackupPolicy.class, MaintenanceWindow.class)
        .withNamespacesInheritedFromController()
        .withSecondaryToPrimaryMapper(policy -> Set.of())
        .build(), context);
    return List.of(unitSource, policySource);
  }

  CachedObjects<DatabaseUnit> units() {
    return units;
  }

  CachedObjects<BackupPolicy> policies() {
    return policies;
  }

  /** The units the window maintains, sorted by name; a named unit that does not exist yields none. */
  List<String> unitNames(MaintenanceWindow window) {
    return units.list(window.getMetadata().getNamespace(), unit -> targets(window, unit)).stream()
        .map(u -> u.getMetadata().getName()).toList();
  }

  static boolean targets(MaintenanceWindow window, DatabaseUnit unit) {
    MaintenanceWindowSpec spec = window.getSpec();
    return spec.databaseUnit() != null ? spec.databaseUnit().equals(unit.getMetadata().getName())
        : LabelSelectors.matches(spec.selector(), unit.getMetadata().getLabels());
  }
}
