package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicy;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import java.util.Objects;

/**
 * Which updates of a BackupPolicy reconcile it: a spec change (generation), an annotation change (on-demand requests
 * live in annotations, which do not change the generation), finalizers and deletion. Status writes, the reconciler's
 * own, do not: it polls while work runs and sleeps until the next fire otherwise.
 */
public final class SpecOrAnnotationsChanged implements OnUpdateFilter<BackupPolicy> {
  @Override
  public boolean accept(BackupPolicy updated, BackupPolicy old) {
    var now = updated.getMetadata();
    var before = old.getMetadata();
    return !Objects.equals(now.getGeneration(), before.getGeneration())
        || !Objects.equals(now.getAnnotations(), before.getAnnotations())
        || !Objects.equals(now.getFinalizers(), before.getFinalizers())
        || updated.isMarkedForDeletion();
  }
}
