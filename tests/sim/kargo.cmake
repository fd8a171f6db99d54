# Part 2 tests of the simulated cluster (Kargo's webhooks, controller and scenarios), included by
# tests/sim/CMakeLists.txt. They reach private headers in src/sim for the controller's internals.
kt_add_test(sim_kargo_rules SOURCES test_kargo_rules.c LIBS kt_sim LABELS sim TIMEOUT 60)
target_include_directories(sim_kargo_rules PRIVATE ${PROJECT_SOURCE_DIR}/src/sim)
kt_add_test(sim_kargo_flow SOURCES test_kargo_flow.c LIBS kt_simhttp LABELS sim
            TIMEOUT 60)
# The large scenario (40,000 objects) takes ~85 s under ASan on a loaded 2-core machine.
kt_add_test(sim_kargo_scenarios SOURCES test_kargo_scenarios.c LIBS kt_simhttp
            LABELS sim TIMEOUT 400)
# The controller's deadlines: idle on a running clock, on time when something is due.
kt_add_test(sim_kargo_deadline SOURCES test_kargo_deadline.c LIBS kt_simhttp LABELS sim
            TIMEOUT 180)
