# cmake -P script: install into a scratch prefix, then consume it two ways:
#  1. find_package(retold) from a CMake project (tests/install/consumer), C++ and C;
#  2. pkg-config --cflags --libs retold, compiling the consumer's main.c with the C compiler alone.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()
run(${CMAKE_COMMAND} --install ${RETOLD_BUILD_DIR} --prefix ${prefix})
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
if(EXISTS ${WORK_DIR}/build/consumer_c)
  run(${WORK_DIR}/build/consumer_c)
endif()

if(DEFINED PKG_CONFIG AND DEFINED C_COMPILER AND EXISTS ${CONSUMER_SOURCE}/main.c)
  file(GLOB pc_files ${prefix}/*/pkgconfig/retold.pc ${prefix}/*/*/pkgconfig/retold.pc)
  if(NOT pc_files)
    message(FATAL_ERROR "no retold.pc installed under ${prefix}")
  endif()
  list(GET pc_files 0 pc_file)
  get_filename_component(pc_dir ${pc_file} DIRECTORY)
  # Only the installed prefix: PKG_CONFIG_LIBDIR replaces the system search path.
  set(ENV{PKG_CONFIG_LIBDIR} ${pc_dir})
  execute_process(COMMAND ${PKG_CONFIG} --cflags --libs retold RESULT_VARIABLE rc
                  OUTPUT_VARIABLE flags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config --cflags --libs retold failed (${rc}): ${err}")
  endif()
  message(STATUS "pkg-config --cflags --libs retold: ${flags}")
  execute_process(COMMAND ${PKG_CONFIG} --variable=libdir retold OUTPUT_VARIABLE libdir
                  OUTPUT_STRIP_TRAILING_WHITESPACE)
  separate_arguments(flag_list UNIX_COMMAND "${flags}")
  # The flags must name the scratch prefix (not the build tree or the system) and libretold_c.
  if(NOT flags MATCHES "-lretold_c" OR NOT flags MATCHES "-I${prefix}/")
    message(FATAL_ERROR "pkg-config flags do not point at ${prefix} and retold_c: ${flags}")
  endif()
  run(${C_COMPILER} -std=c99 -Wall -Wextra -pedantic -Werror ${CONSUMER_SOURCE}/main.c ${flag_list}
      -Wl,-rpath,${libdir} -o ${WORK_DIR}/consumer_pkgconfig)
  run(${WORK_DIR}/consumer_pkgconfig)
endif()
