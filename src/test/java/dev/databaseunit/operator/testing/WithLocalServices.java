package dev.databaseunit.operator.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/** Test parameters of type TestDatabase, TestRedis, TestBucket and KubeCluster are provided by the real servers. */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith({LocalServicesExtension.class, KubeApiServerExtension.class})
public @interface WithLocalServices {}
