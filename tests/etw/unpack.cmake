# SPDX-License-Identifier: MIT
# cmake -DSRC=<shared data/etl> -DDST=<build dir> -P unpack.cmake
# Unpacks the packed .etl samples for the tests; missing data or tools only
# leave the files absent (the tests using them then skip).
file(MAKE_DIRECTORY ${DST})
set(xzfile ${SRC}/perfview_2016_net.4.5.x86_PerfViewData.etl.xz)
set(zipfile ${SRC}/perfview_net.4.5.2.x64.etl.zip)
find_program(XZ xz)
find_program(UNZIP unzip)
if(EXISTS ${xzfile} AND XZ AND NOT EXISTS ${DST}/perfview_2016_net.4.5.x86_PerfViewData.etl)
  execute_process(COMMAND ${XZ} -dc ${xzfile} OUTPUT_FILE ${DST}/perfview_2016_net.4.5.x86_PerfViewData.etl.tmp
                  RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    file(RENAME ${DST}/perfview_2016_net.4.5.x86_PerfViewData.etl.tmp ${DST}/perfview_2016_net.4.5.x86_PerfViewData.etl)
  else()
    message(WARNING "xz failed on ${xzfile}")
  endif()
elseif(NOT XZ)
  message(WARNING "xz not installed: the perfview_2016 test will skip")
endif()
if(EXISTS ${zipfile} AND UNZIP AND NOT EXISTS ${DST}/net.4.5.2.x64.etl)
  execute_process(COMMAND ${UNZIP} -o -q ${zipfile} net.4.5.2.x64.etl -d ${DST} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(WARNING "unzip failed on ${zipfile}")
  endif()
elseif(NOT UNZIP)
  message(WARNING "unzip not installed: the net.4.5.2 test will skip")
endif()
