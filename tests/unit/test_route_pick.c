/* tests/unit/test_route_pick.c: the route race's rule: the default route stays unless another is
 * at least 5% faster (by the median of its runs); timings 0.5% apart never switch it. */
#include <math.h>

#include "cl/route.h"
#include "test_util.h"

static void test_default_kept_unless_clear_win(void **state) {
    (void)state;
    /* The flip the issue reports: 3.981 vs 3.958 ms, 0.6% apart. */
    double close[2] = {3.981e-3, 3.958e-3};
    assert_int_equal(clcnn_route_pick(close, 2, 0), 0);
    double clear[2] = {4.0e-3, 3.7e-3};
    assert_int_equal(clcnn_route_pick(clear, 2, 0), 1);
    double edge[2] = {1.0, 0.95}; /* exactly 5% faster wins */
    assert_int_equal(clcnn_route_pick(edge, 2, 0), 1);
    double just_short[2] = {4.0e-3, 3.81e-3};
    assert_int_equal(clcnn_route_pick(just_short, 2, 0), 0);
    double slower[2] = {1.0, 2.0};
    assert_int_equal(clcnn_route_pick(slower, 2, 0), 0);
}

static void test_fastest_clear_winner_and_failures(void **state) {
    (void)state;
    double three[3] = {1.0, 0.9, 0.8};
    assert_int_equal(clcnn_route_pick(three, 3, 0), 2);
    double failed[3] = {1.0, INFINITY, 0.99};
    assert_int_equal(clcnn_route_pick(failed, 3, 0), 0);
    double other_default[3] = {0.5, 1.0, 0.97};
    assert_int_equal(clcnn_route_pick(other_default, 3, 1), 0);
    assert_int_equal(clcnn_route_pick(other_default, 1, 0), 0);
}

static void test_median(void **state) {
    (void)state;
    double odd[5] = {5, 1, 4, 2, 3};
    assert_true(clcnn_route_median(odd, 5) == 3.0);
    assert_true(odd[0] == 5.0); /* the input is left as it was */
    double even[4] = {10, 1, 3, 2};
    assert_true(clcnn_route_median(even, 4) == 2.5);
    double one[1] = {7};
    assert_true(clcnn_route_median(one, 1) == 7.0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_kept_unless_clear_win),
        cmocka_unit_test(test_fastest_clear_winner_and_failures),
        cmocka_unit_test(test_median),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
