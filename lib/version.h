/* version.h — natter's version, which every program's -V and --version
 * print ("natterd 0.1") and debian/changelog repeats. */
#ifndef NATTER_VERSION_H
#define NATTER_VERSION_H

#ifndef NATTER_VERSION
#define NATTER_VERSION "0.1"
#endif

#endif
