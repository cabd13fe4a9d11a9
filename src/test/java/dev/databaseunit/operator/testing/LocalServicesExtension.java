package dev.databaseunit.operator.testing;

import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands a test parameter a fresh {@link TestDatabase}, {@link TestRedis} namespace or {@link TestBucket} on the
 * local services, and cleans it up when the test (or, for a {@code @BeforeAll} parameter, the class) ends.
 */
public final class LocalServicesExtension implements ParameterResolver {
  private static final Map<Class<?>, Function<LocalServices, AutoCloseable>> FACTORIES = Map.of(
      TestDatabase.class, TestDatabase::create,
      TestRedis.class, TestRedis::new,
      TestBucket.class, TestBucket::new);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return FACTORIES.containsKey(parameter.getParameter().getType());
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    AutoCloseable resource = FACTORIES.get(parameter.getParameter().getType()).apply(LocalServices.get());
    // The store closes AutoCloseable values when its context ends.
    context.getStore(ExtensionContext.Namespace.create(LocalServicesExtension.class)).put(resource, resource);
    return resource;
  }
}
