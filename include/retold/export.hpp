// retold/export.hpp - the one export macro of the C++ API.
//
// retold builds with hidden symbol visibility; every public class and function is
// marked RETOLD_API. A static build (the default, RETOLD_STATIC defined by CMake for
// consumers) needs no attribute; a shared build exports exactly what is marked.
#pragma once

#if defined(RETOLD_STATIC)
#define RETOLD_API
#elif defined(_WIN32)
#if defined(RETOLD_BUILDING_SHARED)
#define RETOLD_API __declspec(dllexport)
#else
#define RETOLD_API __declspec(dllimport)
#endif
#else
#define RETOLD_API __attribute__((visibility("default")))
#endif
