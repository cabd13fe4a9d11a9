package dev.databaseunit.operator.testing;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts one {@link LocalControlPlane} per test JVM and hands tests its {@link KubeCluster}. Sharing one
 * server keeps the suite fast; tests isolate themselves with namespaces of their own.
 */
public final class KubeApiServerExtension implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KubeApiServerExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == KubeCluster.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return context.getRoot().getStore(NAMESPACE)
        .computeIfAbsent(LocalControlPlane.class, key -> LocalControlPlane.start(), LocalControlPlane.class)
        .cluster();
  }
}
