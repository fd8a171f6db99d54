# Part 2 of the simulated cluster (Kargo's webhooks, controller, clock and scenarios), included by
# src/sim/CMakeLists.txt. Sets KT_SIM_KARGO_SOURCES, including the C source generated from the
# scenario YAML files by scenarios/embed.cmake (no tools beyond CMake).
file(GLOB KT_SIM_SCENARIO_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/scenarios/*.yaml)
list(SORT KT_SIM_SCENARIO_FILES)
set(KT_SIM_SCENARIOS_C ${CMAKE_CURRENT_BINARY_DIR}/scenarios_builtin.c)
add_custom_command(
  OUTPUT ${KT_SIM_SCENARIOS_C}
  COMMAND ${CMAKE_COMMAND} -DOUT=${KT_SIM_SCENARIOS_C} "-DFILES=${KT_SIM_SCENARIO_FILES}"
          -P ${CMAKE_CURRENT_LIST_DIR}/scenarios/embed.cmake
  DEPENDS ${KT_SIM_SCENARIO_FILES} ${CMAKE_CURRENT_LIST_DIR}/scenarios/embed.cmake
  COMMENT "Embedding simulator scenarios"
  VERBATIM)
set(KT_SIM_KARGO_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/simclock.c
  ${CMAKE_CURRENT_LIST_DIR}/kargo_names.c
  ${CMAKE_CURRENT_LIST_DIR}/kargo_rules.c
  ${CMAKE_CURRENT_LIST_DIR}/kargo_common.c
  ${CMAKE_CURRENT_LIST_DIR}/kargo_yaml.c
  ${CMAKE_CURRENT_LIST_DIR}/kargo_events.c
  ${CMAKE_CURRENT_LIST_DIR}/admission_kargo.c
  ${CMAKE_CURRENT_LIST_DIR}/kargo_promotions.c
  ${CMAKE_CURRENT_LIST_DIR}/kargo_stages.c
  ${CMAKE_CURRENT_LIST_DIR}/kargo_freight.c
  ${CMAKE_CURRENT_LIST_DIR}/kargo_warehouses.c
  ${CMAKE_CURRENT_LIST_DIR}/kargo_auto.c
  ${CMAKE_CURRENT_LIST_DIR}/kargo.c
  ${CMAKE_CURRENT_LIST_DIR}/scenarios.c
  ${KT_SIM_SCENARIOS_C})
